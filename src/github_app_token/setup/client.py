"""The REST operations setup uses, on the action's client (:class:`~github_app_token.github_api.GitHubAPI`:
its session, retries, timeouts, proxies and CA bundle, and its errors).

Operations (``data/github-api/operations.json``): ``POST /app-manifests/{code}/conversions``
(apps/create-from-manifest), ``GET /user`` (users/get-authenticated), ``GET /users/{username}``,
``GET /repos/{owner}/{repo}`` (repos/get), the Actions secrets and variables of a repository or an
organization (actions/get-repo-public-key, actions/create-or-update-repo-secret,
actions/create-repo-variable, actions/update-repo-variable and their ``orgs`` twins).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, NamedTuple, cast

import requests

from ..errors import GitHubAPIError
from ..github_api import GitHubAPI, unreadable


class AppCredentials(NamedTuple):
    """What the manifest conversion returns that setup keeps: the app's ``id``, ``slug``, ``client_id``,
    ``name``, ``html_url``, owner's login, ``pem`` (the private key; never shown, see ``__repr__``), and
    the owner's ``type`` (``User`` or ``Organization``; "" when not known). The client secret and the
    webhook secret are not kept."""

    id: int
    slug: str
    client_id: str
    name: str
    html_url: str
    owner: str
    pem: str
    owner_type: str = ""

    def __repr__(self) -> str:
        return f"AppCredentials(id={self.id}, slug={self.slug!r}, client_id={self.client_id!r}, pem='***')"


class User(NamedTuple):
    """The token's user: ``login``; ``scopes`` from ``X-OAuth-Scopes`` (None for a fine-grained token,
    which GitHub answers without that header)."""

    login: str
    scopes: frozenset[str] | None


class Account(NamedTuple):
    """A user or organization: ``login``, numeric ``id``, ``type`` (``User`` or ``Organization``)."""

    login: str
    id: int
    type: str


def printable(text: str, limit: int = 100) -> str:
    """``text`` without control characters (no terminal escapes from an answer reach the screen)."""
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the scheme and host of ``base`` (the GitHub instance's web address)."""
    one, two = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    return (one.scheme, one.netloc.lower()) == (two.scheme, two.netloc.lower()) and bool(one.path.strip("/"))


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")


class SetupAPI(GitHubAPI):
    """:class:`GitHubAPI` plus the operations of setup. Each method raises GitHubAPIError or NetworkError."""

    def _call(
        self, method: str, path: str, token: str | None, expected: tuple[int, ...], body: Any = None
    ) -> tuple[requests.Response, Any]:
        """The response (of an ``expected`` status) and its JSON (None when empty)."""
        # None removes the Authorization header (requests drops a header whose value is None).
        authorization = cast("str", None) if token is None else f"Bearer {token}"
        response = self._send(method, path, authorization, body)
        if response.status_code not in expected:
            raise self._error(response, method, path)
        if response.status_code == 204 or not response.content:
            return response, None
        try:
            return response, response.json()
        except ValueError:
            raise unreadable(method, path, response.status_code, "not JSON") from None

    def convert_manifest(self, code: str) -> AppCredentials:
        """``POST /app-manifests/{code}/conversions``, without authentication (the one-time code is the credential)."""
        path = f"/app-manifests/{_quote(code)}/conversions"
        _, data = self._call("POST", path, None, (201,))
        try:
            owner = data.get("owner") or {}
            credentials = AppCredentials(
                id=int(data["id"]),
                slug=re.sub(r"[^a-z0-9-]+", "-", str(data["slug"]).lower()).strip("-") or "github-app",
                client_id=str(data["client_id"]),
                name=printable(str(data.get("name") or data["slug"])),
                html_url=str(data["html_url"]).rstrip("/"),
                owner=printable(str(owner.get("login") or owner.get("slug") or "")),
                pem=str(data["pem"]),
                owner_type=printable(str(owner.get("type") or "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise unreadable("POST", "/app-manifests/{code}/conversions", 201, "no app in it") from None
        del data  # the client secret and the webhook secret go no further
        return credentials

    def user(self, token: str) -> User:
        """``GET /user``: the token's login, and its classic scopes when it has any."""
        response, data = self._call("GET", "/user", token, (200,))
        header = response.headers.get("X-OAuth-Scopes")
        scopes = None if header is None else frozenset(s.strip() for s in header.split(",") if s.strip())
        if not isinstance(data, dict) or not isinstance(data.get("login"), str):
            raise unreadable("GET", "/user", 200, "no login")
        return User(data["login"], scopes)

    def account(self, login: str, token: str) -> Account:
        """``GET /users/{username}``: a user's or an organization's ID and type."""
        _, data = self._call("GET", f"/users/{_quote(login)}", token, (200,))
        try:
            return Account(str(data["login"]), int(data["id"]), str(data["type"]))
        except (KeyError, TypeError, ValueError):
            raise unreadable("GET", "/users/{username}", 200, "no account") from None

    def repository_id(self, owner: str, repo: str, token: str) -> int:
        """``GET /repos/{owner}/{repo}``: the repository's numeric ID."""
        _, data = self._call("GET", f"/repos/{_quote(owner)}/{_quote(repo)}", token, (200,))
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise unreadable("GET", "/repos/{owner}/{repo}", 200, "no id")
        return int(data["id"])

    def secrets_public_key(self, base: str, token: str) -> tuple[str, str]:
        """``GET {base}/actions/secrets/public-key`` (``base``: ``/repos/{o}/{r}`` or ``/orgs/{org}``):
        ``(key_id, key)``, the key base64 (a Curve25519 public key)."""
        _, data = self._call("GET", f"{base}/actions/secrets/public-key", token, (200,))
        if not isinstance(data, dict) or not isinstance(data.get("key"), str) or not data.get("key_id"):
            raise unreadable("GET", f"{base}/actions/secrets/public-key", 200, "no key")
        return str(data["key_id"]), data["key"]

    def put_secret(self, base: str, name: str, body: dict[str, Any], token: str) -> bool:
        """``PUT {base}/actions/secrets/{name}``: True when created (201), False when updated (204)."""
        response, _ = self._call("PUT", f"{base}/actions/secrets/{_quote(name)}", token, (201, 204), body)
        return response.status_code == 201

    def put_variable(self, base: str, body: dict[str, Any], token: str) -> bool:
        """``POST {base}/actions/variables`` (201), or on 409 (it exists) ``PATCH {base}/actions/variables/{name}``
        (204): True when created, False when updated."""
        try:
            self._call("POST", f"{base}/actions/variables", token, (201,), body)
            return True
        except GitHubAPIError as error:
            if error.status != 409:
                raise
        self._call("PATCH", f"{base}/actions/variables/{_quote(str(body['name']))}", token, (204,), body)
        return False
