"""Read the GitHub App's private key, and explain what it is when it is not usable.

GitHub issues PKCS#1 PEM RSA keys (``-----BEGIN RSA PRIVATE KEY-----``); PKCS#8
(``-----BEGIN PRIVATE KEY-----``) is accepted too. Users paste keys in many shapes, so
the text is normalised first: literal ``\\n`` escapes become newlines, CRLF becomes LF,
surrounding whitespace goes, a key flattened onto one line is re-wrapped, and a PEM
file encoded once more in base64 is decoded.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING

from . import messages
from .errors import InputError
from .inputs import shown
from .names import ACTION_NAMES, Names

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_PRIVATE_LABELS = frozenset({"RSA PRIVATE KEY", "PRIVATE KEY"})
# Standard base64, long enough to be a key or a PEM file (a 2048-bit key is ~1,600 chars).
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]{64,}={0,2}")


def normalize(text: str) -> str:
    """Turn literal ``\\n`` into newlines, CRLF/CR into LF, and strip surrounding whitespace."""
    return text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\r\n", "\n").replace("\r", "\n").strip()


def _decode_base64(text: str) -> bytes | None:
    compact = "".join(text.split())
    if not compact or not _BASE64_TEXT.fullmatch(compact):
        return None
    try:
        return base64.b64decode(
            compact + "=" * (-len(compact) % 4),
            altchars=b"-_" if "-" in compact or "_" in compact else None,
            validate=True,
        )
    except (binascii.Error, ValueError):
        return None


#: A file path given where the key's text belongs: one line starting like a path, or naming a .pem file.
_PATH = re.compile(
    r"(?:[A-Za-z]:[\\/]|~?[/\\]|\.{1,2}[/\\])[^\n]*"  # C:\..., /..., ~/..., ./..., ../...
    r"|[^\n/\\]*[/\\][^\n]*\.(?:pem|key)|[^\s/]+\.(?:pem|key)"  # keys/app.pem, app.private-key.pem
)


def article(kind: str) -> str:
    """``an`` before a key type said with a vowel first (an EC, an Ed25519 key), else ``a`` (a DSA key)."""
    return "an" if kind[:1].upper() in "AEIOU" else "a"


def to_pem(text: str, names: Names = ACTION_NAMES) -> bytes:
    """Return the key as canonical PEM bytes (64-column body), or raise InputError.

    The error says what the text looks like instead: a file path, a public key, an OpenSSH key, a
    certificate, an encrypted key, a non-RSA key, or base64 text; ``names`` says where the key came
    from (an action input, or a CLI option).
    """
    text = normalize(text)
    if "-----BEGIN" not in text and len(text) < 1024 and _PATH.fullmatch(text) and not _BASE64_TEXT.fullmatch(text):
        raise InputError(messages.KEY_IS_PATH.format(path=shown(text, 80), inputs=names))
    if "-----BEGIN" not in text:
        decoded = _decode_base64(text)
        if decoded is not None and b"-----BEGIN" in decoded:
            try:
                text = normalize(decoded.decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(messages.KEY_IS_BASE64.format(inputs=names)) from None
        elif text.startswith(("ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-")):
            raise InputError(messages.KEY_IS_PUBLIC.format(inputs=names))
        elif decoded is not None:
            raise InputError(messages.KEY_IS_BASE64.format(inputs=names))
        else:
            raise InputError(messages.KEY_NOT_PEM.format(inputs=names))

    blocks = _PEM_BLOCK.findall(text)
    labels = [label for label, _ in blocks]
    private = [(label, body) for label, body in blocks if label in _PRIVATE_LABELS]
    if not private:
        if "OPENSSH PRIVATE KEY" in text:
            raise InputError(messages.KEY_IS_OPENSSH.format(inputs=names))
        if "ENCRYPTED PRIVATE KEY" in labels:
            raise InputError(messages.KEY_IS_ENCRYPTED.format(inputs=names))
        if any("PUBLIC KEY" in label for label in labels):
            raise InputError(messages.KEY_IS_PUBLIC.format(inputs=names))
        if any("CERTIFICATE" in label for label in labels):
            raise InputError(messages.KEY_IS_CERTIFICATE.format(inputs=names))
        if any(label in ("EC PRIVATE KEY", "DSA PRIVATE KEY") for label in labels):
            kind = labels[0].split()[0]
            raise InputError(messages.KEY_NOT_RSA.format(kind=kind, article=article(kind), inputs=names))
        if labels:
            raise InputError(messages.KEY_UNKNOWN_PEM.format(label=labels[0][:40], inputs=names))
        raise InputError(messages.KEY_DAMAGED.format(inputs=names))

    label, body = private[0]
    if "ENCRYPTED" in body:  # PKCS#1 with "Proc-Type: 4,ENCRYPTED" headers
        raise InputError(messages.KEY_IS_ENCRYPTED.format(inputs=names))
    compact = "".join(body.split())
    wrapped = "\n".join(compact[i : i + 64] for i in range(0, len(compact), 64))
    return f"-----BEGIN {label}-----\n{wrapped}\n-----END {label}-----\n".encode("ascii", "replace")


def load_private_key(text: str, names: Names = ACTION_NAMES) -> RSAPrivateKey:
    """Parse the ``private-key`` input into an RSA private key object.

    Raises InputError (never with key material in the message) for anything that is
    not an unencrypted RSA private key in PEM (PKCS#1 or PKCS#8).
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pem = to_pem(text, names)
    try:
        # The consistency check of the RSA parameters costs ~35 ms and protects nothing here:
        # the key only signs app JWTs for GitHub to verify (a bad key gets a 401), and
        # OpenSSL checks each CRT signature against the public key before returning it.
        key = load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    except TypeError:
        raise InputError(messages.KEY_IS_ENCRYPTED.format(inputs=names)) from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(messages.KEY_DAMAGED.format(inputs=names)) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = type(key).__name__.removeprefix("_").replace("PrivateKey", "") or "non-RSA"
        raise InputError(messages.KEY_NOT_RSA.format(kind=kind, article=article(kind), inputs=names))
    return key
