"""Sign the app JWT that authenticates the GitHub App itself.

Source: GitHub Docs, "Generating a JSON Web Token (JWT) for a GitHub App": RS256,
``iss`` = the client ID or app ID, ``iat`` 60 seconds in the past (to allow for clock
drift), ``exp`` no more than 10 minutes after GitHub's clock.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import jwt

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

#: Seconds the ``iat`` claim is set in the past.
IAT_BACKDATE = 60
#: Lifetime in seconds from now; GitHub allows at most 600 from its own clock.
LIFETIME = 540


class AppAuth:
    """Signs app JWTs for one GitHub App, on a clock that can be corrected.

    ``clock_offset`` (seconds, added to the local UTC clock) is 0 until the client learns
    GitHub's time from a response's ``Date`` header (after a 401 about the JWT's times).
    """

    def __init__(self, issuer: str, private_key: RSAPrivateKey) -> None:
        self.issuer = issuer
        self._private_key = private_key
        self.clock_offset = 0.0

    def __repr__(self) -> str:  # never show the key
        return f"AppAuth(issuer={self.issuer!r}, clock_offset={self.clock_offset})"

    def jwt(self, now: float | None = None) -> str:
        """Return a fresh app JWT (a compact JWS string) valid for about 9 minutes."""
        current = int((time.time() if now is None else now) + self.clock_offset)
        claims = {"iat": current - IAT_BACKDATE, "exp": current + LIFETIME, "iss": self.issuer}
        return jwt.encode(claims, self._private_key, algorithm="RS256")
