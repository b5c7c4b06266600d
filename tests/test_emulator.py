"""The emulator behaves as GitHub does: JWT checks, token lifetime and revocation, 404/422."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.github_emulator import (
    MSG_EXP_FAR,
    MSG_EXP_PAST,
    MSG_IAT,
    MSG_INTEGRATION_NOT_FOUND,
    MSG_ISS,
    MSG_JWT_UNDECODABLE,
    App,
    Exchange,
    GitHubEmulator,
    Reply,
    generate_private_key,
)

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def app_jwt(
    app: App,
    *,
    iat: float | None = None,
    exp: float | None = None,
    iss: object = None,
    key: rsa.RSAPrivateKey | None = None,
) -> str:
    now = time.time()
    claims = {
        "iat": int(now - 60 if iat is None else iat),
        "exp": int(now + 500 if exp is None else exp),
        "iss": app.client_id if iss is None else iss,
    }
    return jwt.encode(claims, key or app.private_key, algorithm="RS256")


def call(emulator: GitHubEmulator, method: str, path: str, credential: str, **kw: object) -> requests.Response:
    headers = {**HEADERS, "Authorization": f"Bearer {credential}"}
    return requests.request(method, emulator.url + path, headers=headers, timeout=5, **kw)  # type: ignore[arg-type]


def test_valid_jwt_with_client_id_or_app_id(emulator: GitHubEmulator, app: App) -> None:
    for issuer in (app.client_id, str(app.id)):
        response = call(emulator, "GET", "/app", app_jwt(app, iss=issuer))
        assert response.status_code == 200
        assert response.json()["slug"] == "token-minter"


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"iat": +120}, MSG_IAT),  # seconds from now, when the test runs (not when it is collected)
        ({"exp": -1}, MSG_EXP_PAST),
        ({"exp": +700}, MSG_EXP_FAR),
        ({"iss": "Iv23liSomeOtherApp"}, MSG_ISS),
        ({"iss": "31337"}, MSG_INTEGRATION_NOT_FOUND),
        ({"key": "other"}, MSG_JWT_UNDECODABLE),
    ],
)
def test_bad_jwts_get_githubs_401(emulator: GitHubEmulator, app: App, claims: dict[str, object], message: str) -> None:
    kwargs = dict(claims)
    if kwargs.pop("key", None):
        kwargs["key"] = generate_private_key()
    for claim in ("iat", "exp"):
        if claim in kwargs:
            kwargs[claim] = time.time() + float(kwargs[claim])  # type: ignore[arg-type]
    response = call(emulator, "GET", "/app", app_jwt(app, **kwargs))  # type: ignore[arg-type]
    assert response.status_code == (404 if message == MSG_INTEGRATION_NOT_FOUND else 401)
    assert response.json()["message"] == message
    assert "Date" in response.headers


def test_clock_offset_moves_the_emulators_time(emulator: GitHubEmulator, app: App) -> None:
    emulator.clock_offset = 3600
    response = call(emulator, "GET", "/app", app_jwt(app))
    assert response.status_code == 401 and response.json()["message"] == MSG_EXP_PAST
    emulator.clock_offset = -3600
    assert call(emulator, "GET", "/app", app_jwt(app)).json()["message"] == MSG_IAT


def test_garbage_and_missing_credentials(emulator: GitHubEmulator) -> None:
    assert call(emulator, "GET", "/app", "not-a-jwt").status_code == 401
    assert requests.get(emulator.url + "/app", timeout=5).status_code == 401


def test_token_lifecycle(emulator: GitHubEmulator, app: App) -> None:
    created = call(
        emulator, "POST", "/app/installations/1002/access_tokens", app_jwt(app), json={"repositories": ["app"]}
    )
    assert created.status_code == 404  # no such installation of this app
    installs = call(emulator, "GET", "/app/installations", app_jwt(app)).json()
    org = next(i for i in installs if i["account"]["login"] == "octo-org")
    created = call(
        emulator,
        "POST",
        f"/app/installations/{org['id']}/access_tokens",
        app_jwt(app),
        json={"repositories": ["app"], "permissions": {"contents": "read"}},
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert created.json()["repositories"][0]["full_name"] == "octo-org/app"
    listed = call(emulator, "GET", "/installation/repositories", token).json()
    assert [r["name"] for r in listed["repositories"]] == ["app"]
    assert call(emulator, "DELETE", "/installation/token", token).status_code == 204
    again = call(emulator, "DELETE", "/installation/token", token)
    assert again.status_code == 401 and again.json()["message"] == "Bad credentials"
    # An expired token is refused too.
    created = call(emulator, "POST", f"/app/installations/{org['id']}/access_tokens", app_jwt(app))
    token = created.json()["token"]
    emulator.clock_offset = 3601
    assert call(emulator, "GET", "/installation/repositories", token).status_code == 401


def test_installation_lookups(emulator: GitHubEmulator, app: App) -> None:
    token = app_jwt(app)
    assert call(emulator, "GET", "/orgs/octo-org/installation", token).status_code == 200
    assert call(emulator, "GET", "/orgs/octocat/installation", token).status_code == 404  # a user
    assert call(emulator, "GET", "/users/octocat/installation", token).status_code == 200
    assert call(emulator, "GET", "/repos/octo-org/docs/installation", token).status_code == 404  # not selected
    assert call(emulator, "GET", "/repos/octocat/blog/installation", token).status_code == 200  # all repos


def test_create_refusals(emulator: GitHubEmulator, app: App) -> None:
    token = app_jwt(app)
    org = call(emulator, "GET", "/orgs/octo-org/installation", token).json()["id"]
    path = f"/app/installations/{org}/access_tokens"
    refused = call(emulator, "POST", path, token, json={"permissions": {"administration": "read"}})
    assert refused.status_code == 422 and "not granted" in refused.json()["message"]
    refused = call(emulator, "POST", path, token, json={"permissions": {"contents": "admin"}})
    assert refused.status_code == 422
    refused = call(emulator, "POST", path, token, json={"repositories": ["nope"]})
    assert refused.status_code == 422 and "not accessible" in refused.json()["message"]


def test_prefix_is_enforced(app_key: rsa.RSAPrivateKey) -> None:
    from tests.github_emulator import default_world

    with GitHubEmulator(prefix="/api/v3") as ghes:
        app = default_world(ghes, app_key)
        assert call(ghes, "GET", "/app", app_jwt(app)).status_code == 200
        outside = requests.get(ghes.url.removesuffix("/api/v3") + "/app", timeout=5)
        assert outside.status_code == 404


def test_extensions_add_routes_for_pages_and_chunked_bodies(emulator: GitHubEmulator) -> None:
    """An extension's web route sees the whole path and a chunked body, and answers with raw bytes."""
    seen: list[bytes] = []

    def page(request: object, exchange: Exchange, name: str) -> Reply:
        seen.append(exchange.raw)
        return Reply(200, raw=f"<p>{name}</p>".encode(), content_type="text/html; charset=utf-8")

    emulator.add_route("POST", r"/pages/(?P<name>[a-z]+)", "/pages/{name}", page, web=True)
    chunks = iter([b"first,", b"second"])
    answer = requests.post(emulator.url + "/pages/hello", data=chunks, timeout=5)  # a generator is sent chunked
    assert answer.status_code == 200 and answer.text == "<p>hello</p>"
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert seen == [b"first,second"]
