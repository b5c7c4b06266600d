"""Sign the app JWT that authenticates the GitHub App itself.

Source: GitHub Docs, "Generating a JSON Web Token (JWT) for a GitHub App": RS256,
``iss`` = the client ID or app ID, ``iat`` 60 seconds in the past (to allow for clock
drift), ``exp`` no more than 10 minutes after GitHub's clock.
"""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING, Protocol

import jwt

from . import messages
from .errors import InputError
from .names import ACTION_NAMES, Names

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

#: Seconds the ``iat`` claim is set in the past.
IAT_BACKDATE = 60
#: Lifetime in seconds from now; GitHub allows at most 600 from its own clock.
LIFETIME = 540
#: GitHub refuses an app JWT whose ``exp`` is more than this many seconds after its own clock.
GITHUB_MAX_LIFETIME = 600
#: Seconds of clock difference allowed for when judging an app JWT signed elsewhere.
CLOCK_TOLERANCE = 60
#: An app JWT signed elsewhere must stay valid this many seconds more: a step can take that
#: long to finish (retries and rate limits included), and nobody can sign it again here.
MIN_REMAINING = 60


class Signer(Protocol):
    """Who signs the app JWT for each request: :class:`AppAuth` (holds the key) or :class:`GivenAppJWT`.

    ``clock_offset`` is GitHub's clock minus ours (seconds), learnt from a 401 about the JWT's
    times; ``can_resign`` says whether a JWT on the corrected clock can be made.
    """

    issuer: str
    clock_offset: float
    can_resign: bool

    def jwt(self) -> str: ...


class AppAuth:
    """Signs app JWTs for one GitHub App, on a clock that can be corrected.

    ``clock_offset`` (seconds, added to the local UTC clock) is 0 until the client learns
    GitHub's time from a response's ``Date`` header (after a 401 about the JWT's times).
    """

    can_resign = True

    def __init__(self, issuer: str, private_key: RSAPrivateKey) -> None:
        self.issuer = issuer
        self._private_key = private_key
        self.clock_offset = 0.0

    def __repr__(self) -> str:  # never show the key
        return f"AppAuth(issuer={self.issuer!r}, clock_offset={self.clock_offset})"

    def fingerprint(self) -> str:
        """The key's fingerprint as the app's settings page shows it: ``SHA256:`` and the base64 of
        the SHA-256 of the public key (DER SubjectPublicKeyInfo). It reveals nothing secret.
        Source: GitHub Docs, "Managing private keys for GitHub Apps" (verifying private keys).
        """
        import base64
        import hashlib

        from cryptography.hazmat.primitives import serialization

        public = self._private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return "SHA256:" + base64.b64encode(hashlib.sha256(public).digest()).decode()

    def jwt(self, now: float | None = None) -> str:
        """Return a fresh app JWT (a compact JWS string) valid for about 9 minutes."""
        current = int((time.time() if now is None else now) + self.clock_offset)
        claims = {"iat": current - IAT_BACKDATE, "exp": current + LIFETIME, "iss": self.issuer}
        return jwt.encode(claims, self._private_key, algorithm="RS256")


class GivenAppJWT:
    """An app JWT signed elsewhere (a KMS, an HSM, Vault's transit engine): used as given.

    ``issuer`` is its ``iss`` claim, ``expires_at`` its ``exp`` (epoch seconds, UTC). It cannot
    be signed again, so a clock difference with GitHub cannot be corrected here.
    """

    can_resign = False

    def __init__(self, token: str, issuer: str, expires_at: int) -> None:
        self._token = token
        self.issuer = issuer
        self.expires_at = expires_at
        self.clock_offset = 0.0

    def __repr__(self) -> str:  # never show the JWT
        return f"GivenAppJWT(issuer={self.issuer!r}, expires_at={self.expires_at})"

    def jwt(self) -> str:
        return self._token


def _utc(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def read_app_jwt(text: str, now: float | None = None, names: Names = ACTION_NAMES) -> GivenAppJWT:
    """Read an app JWT signed elsewhere, checking what can be checked without the key.

    Its claims are read without verifying the signature (only GitHub holds the public key).
    Raises InputError, never quoting the JWT, when it is not a JWT, not RS256, has no ``iss``,
    ``iat`` or ``exp``, has expired, expires within :data:`MIN_REMAINING` seconds, starts more
    than :data:`CLOCK_TOLERANCE` seconds in the future, or ends more than 10 minutes (plus the
    tolerance) from now, which GitHub refuses. ``now`` is epoch seconds (UTC), default the clock.
    Source: GitHub Docs, "Generating a JSON Web Token (JWT) for a GitHub App".
    """
    token = text.strip()
    current = time.time() if now is None else now
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InputError(messages.APP_JWT_MALFORMED.format(inputs=names)) from None
    if header.get("alg") != "RS256":
        raise InputError(messages.APP_JWT_NOT_RS256.format(alg=str(header.get("alg"))[:20], inputs=names))
    issuer = claims.get("iss")
    if not isinstance(issuer, (str, int)) or isinstance(issuer, bool) or not str(issuer).strip():
        raise InputError(messages.APP_JWT_NO_ISSUER.format(inputs=names))
    issued, expires = claims.get("iat"), claims.get("exp")
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in (issued, expires)):
        raise InputError(messages.APP_JWT_NO_TIMES.format(inputs=names))
    assert isinstance(issued, int) and isinstance(expires, int)
    if expires <= current:
        raise InputError(
            messages.APP_JWT_EXPIRED.format(when=_utc(expires), ago=round(current - expires), inputs=names)
        )
    if expires - current < MIN_REMAINING:
        raise InputError(
            messages.APP_JWT_TOO_SHORT.format(left=round(expires - current), minimum=MIN_REMAINING, inputs=names)
        )
    if issued > current + CLOCK_TOLERANCE:
        raise InputError(
            messages.APP_JWT_NOT_YET.format(when=_utc(issued), ahead=round(issued - current), inputs=names)
        )
    if expires - current > GITHUB_MAX_LIFETIME + CLOCK_TOLERANCE:
        raise InputError(messages.APP_JWT_TOO_LONG.format(minutes=round((expires - current) / 60), inputs=names))
    return GivenAppJWT(token, str(issuer).strip(), expires)
