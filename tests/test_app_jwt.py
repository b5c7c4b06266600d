"""The app JWT's claims, and reading GitHub's clock from a Date header."""

from __future__ import annotations

import email.utils

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from github_app_token.app_jwt import AppAuth
from github_app_token.github_api import clock_offset


def test_claims_and_signature(app_key: rsa.RSAPrivateKey) -> None:
    auth = AppAuth("Iv23liExample", app_key)
    token = auth.jwt(now=1_800_000_000.7)
    claims = jwt.decode(
        token, app_key.public_key(), algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims == {"iat": 1_800_000_000 - 60, "exp": 1_800_000_000 + 540, "iss": "Iv23liExample"}
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert "PRIVATE" not in repr(auth)


def test_clock_offset_shifts_the_claims(app_key: rsa.RSAPrivateKey) -> None:
    auth = AppAuth("42", app_key)
    auth.clock_offset = -3600
    claims = jwt.decode(auth.jwt(now=1_800_000_000), options={"verify_signature": False})
    assert claims["iat"] == 1_800_000_000 - 3600 - 60


def test_clock_offset_from_date_header() -> None:
    now = 1_800_000_000.0
    assert clock_offset(email.utils.formatdate(now + 300, usegmt=True), now=now) == 300
    assert clock_offset("") is None and clock_offset("yesterday") is None
