"""A local emulator of the GitHub REST API operations a GitHub App uses for its tokens.

A real HTTP(S) server on 127.0.0.1 (``ThreadingHTTPServer``), optionally under a path
prefix such as GitHub Enterprise Server's ``/api/v3``. It verifies app JWTs with the
app's public key (RS256) and answers with GitHub's own messages; it enforces each
installation's repositories and permissions; it issues installation access tokens that
expire after an hour and can be revoked; it records every exchange; and it can inject
faults (HTTP errors, resets, hangs) and run its clock ahead of or behind real time.

Operations (``data/github-api/operations.json``): GET /app, GET /app/installations,
GET /app/installations/{id}, GET /repos/{owner}/{repo}/installation,
GET /orgs/{org}/installation, GET /users/{username}/installation,
POST /app/installations/{id}/access_tokens, DELETE /installation/token,
GET /installation/repositories.
"""

from __future__ import annotations

import email.utils
import json
import re
import secrets
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from github_app_token.permission_levels import PERMISSION_LEVELS

DOCS = "https://docs.github.com/rest"
LEVEL_RANK = {"read": 1, "write": 2, "admin": 3}
TOKEN_LIFETIME = 3600
# GitHub's 401 messages for app JWTs.
MSG_JWT_UNDECODABLE = "A JSON web token could not be decoded"
MSG_IAT = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
MSG_EXP_PAST = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the "
    "assertion expires"
)
MSG_EXP_FAR = "'Expiration time' claim ('exp') is too far in the future"
MSG_BAD_CREDENTIALS = "Bad credentials"
# An app JWT whose 'iss' names no app: a number that is no app's ID gets 404, anything else that is no
# client ID gets the 401 about the claim (actions/create-github-app-token#386); an app whose every key
# was deleted gets the last one (octokit/octokit.rb#1080).
MSG_INTEGRATION_NOT_FOUND = "Integration not found"
MSG_ISS = "'Issuer' claim ('iss') must be an Integer"
MSG_NO_PUBLIC_KEY = "Integration must generate a public key"
MSG_REPOS_NOT_ACCESSIBLE = (
    "There is at least one repository that does not exist or is not accessible to the parent installation."
)
MSG_PERMISSIONS_NOT_GRANTED = "The permissions requested are not granted to this installation."
SUPPORTED_API_VERSIONS = frozenset({"2022-11-28", "2026-03-10"})
#: Installation token formats: GitHub.com issues ``ghs_<APP_ID>_<JWT>`` since its 2026 rollout
#: (the JWT signed by GitHub, about 520 characters in all); Enterprise Server the 40-character
#: opaque form. The create request's ``X-GitHub-Stateless-S2S-Token: enabled|disabled`` header
#: forces one while the rollout lasts. GitHub's published pattern for both, ``ghs_[A-Za-z0-9._]{36,}``,
#: omits ``-``, which a base64url JWT holds as often as not (github/gh-aw#35016): the emulator's has it.
STATELESS, CLASSIC = "stateless", "classic"
TOKEN_FORMAT_HEADER = "X-GitHub-Stateless-S2S-Token"
TOKEN_PATTERN = re.compile(r"ghs_[A-Za-z0-9._-]{36,}")
_GITHUB_SIGNING_KEY: list[rsa.RSAPrivateKey] = []


def github_signing_key() -> rsa.RSAPrivateKey:
    """The key "GitHub" signs stateless installation tokens with (one per test process: RSA is slow to make)."""
    if not _GITHUB_SIGNING_KEY:
        _GITHUB_SIGNING_KEY.append(generate_private_key())
    return _GITHUB_SIGNING_KEY[0]


def iso(moment: float) -> str:
    """Epoch seconds -> ``2026-01-01T12:00:00Z``."""
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_private_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def pem_pkcs1(key: rsa.RSAPrivateKey) -> str:
    """The key as GitHub hands it out: ``-----BEGIN RSA PRIVATE KEY-----``."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def pem_pkcs8(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Account:
    login: str
    id: int
    type: str = "Organization"  # or "User"


@dataclass
class Repository:
    id: int
    name: str
    owner: Account
    private: bool = True


@dataclass
class App:
    id: int
    client_id: str
    slug: str
    name: str
    owner: Account
    private_key: rsa.RSAPrivateKey = field(repr=False)
    permissions: dict[str, str] = field(default_factory=dict)
    has_keys: bool = True  # False once every private key was deleted from the app's settings


@dataclass
class Installation:
    id: int
    app: App
    account: Account
    permissions: dict[str, str]
    repositories: list[str] | None = None  # None: all of the account's repositories
    suspended_at: float | None = None  # epoch seconds; set by suspend()
    suspended_by: Account | None = None

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None

    def suspend(self, by: Account, at: float) -> None:
        self.suspended_at, self.suspended_by = at, by


@dataclass
class IssuedToken:
    token: str = field(repr=False)
    installation: Installation
    expires_at: float
    permissions: dict[str, str]
    repositories: list[str] | None
    revoked: bool = False
    format: str = CLASSIC
    jti: str = ""


@dataclass
class Fault:
    """A fault for the next ``times`` requests matching ``method`` and ``path`` (a regex).

    ``action``: ``"status"`` answers ``status`` with ``headers`` and ``body``; ``"reset"``
    resets the TCP connection; ``"hang"`` holds the request ``delay`` seconds then closes
    the connection unanswered; ``"delay"`` waits ``delay`` seconds, then answers normally;
    ``"clock"`` sets the emulator's ``clock_offset``, then answers normally; ``"gate"`` sets
    ``arrived`` and holds the request until the test sets ``release`` (at most ``delay`` seconds, 60
    by default), then answers normally: a test acts while a request is known to be in flight, with
    no timing involved; ``"after"`` does what the request asks (a token is created), then loses the
    answer: ``status`` is sent instead (a gateway's 502, say), or with ``status`` 0 the connection
    is reset.
    """

    action: str = "status"
    method: str | None = None
    path: str | None = None
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    delay: float = 0.0
    clock_offset: float | None = None  # with action "clock": set the clock, then answer normally
    arrived: threading.Event = field(default_factory=threading.Event)  # with action "gate"
    release: threading.Event = field(default_factory=threading.Event)  # with action "gate"


MSG_SECONDARY_RATE_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach "
    "out to GitHub Support for help, please include the request ID."
)


@dataclass
class Throttle:
    """A model of GitHub's secondary rate limits (GitHub Docs, "Rate limits for the REST API").

    Decided by count or by the emulator's clock, never by how requests happen to overlap, so that
    a test's outcome does not depend on how fast a busy machine starts its processes:

    - ``schedule``: given the arrival number of a request (1, 2, ...; every operation counts),
      says whether to answer it at once with 403, GitHub's secondary-rate-limit message and
      ``Retry-After: retry_after``.
    - ``token_schedule``: given the arrival number of a token creation that passed validation,
      says whether to answer it 429 with ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``
      ``reset_in`` seconds ahead (emulator clock).
    - ``tokens_per_window``: installation tokens created per ``window`` seconds of the emulator's
      clock (GitHub counts per minute); one more is answered 429 with ``x-ratelimit-reset`` at the
      end of the window.
    - ``max_in_flight``: requests served at once; one more gets the 403. How many overlap depends
      on scheduling, so only ``bench/`` uses it, to measure, never a test's assertion.
    - ``latency``: seconds every served request takes (holding its place in flight).

    None disables a rule. ``throttled`` counts the throttling answers given.
    """

    schedule: Callable[[int], bool] | None = None
    token_schedule: Callable[[int], bool] | None = None
    reset_in: int = 1
    max_in_flight: int | None = None
    tokens_per_window: int | None = None
    window: float = 60.0
    latency: float = 0.0
    retry_after: int = 1
    in_flight: int = 0
    peak_in_flight: int = 0
    arrivals: int = 0
    token_arrivals: int = 0
    created: list[float] = field(default_factory=list)  # creation times (emulator clock)
    throttled: int = 0  # throttling answers given

    def admit(self) -> _Reply | None:
        """Take a place in flight, or return the throttling answer. Call with the emulator's lock held."""
        self.arrivals += 1
        scheduled = self.schedule is not None and self.schedule(self.arrivals)
        if scheduled or (self.max_in_flight is not None and self.in_flight >= self.max_in_flight):
            self.throttled += 1
            return _error(403, MSG_SECONDARY_RATE_LIMIT, headers={"Retry-After": str(self.retry_after)})
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return None

    def _refuse_token(self, reset: int, used: int, limit: int) -> _Reply:
        self.throttled += 1
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }
        return _error(429, MSG_SECONDARY_RATE_LIMIT, headers=headers)

    def create_token(self, now: float) -> None:
        """Count one token creation, or raise the 429 throttling answer. Call with the lock held."""
        self.token_arrivals += 1
        if self.token_schedule is not None and self.token_schedule(self.token_arrivals):
            raise self._refuse_token(int(now) + self.reset_in, len(self.created), len(self.created))
        if self.tokens_per_window is None:
            return
        self.created = [moment for moment in self.created if moment > now - self.window]
        if len(self.created) >= self.tokens_per_window:
            raise self._refuse_token(int(self.created[0] + self.window) + 1, len(self.created), self.tokens_per_window)
        self.created.append(now)


@dataclass
class Exchange:
    """One recorded request and the emulator's answer (path without the prefix)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    response_body: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)
    operation: str | None = None  # the OpenAPI path template, when the route matched
    peer: str = ""  # the client's address and port: one value per TCP connection
    raw: bytes = b""  # the request body as sent (de-chunked)
    query: str = ""  # the request's query string, without "?"
    at: float = field(default_factory=time.time)  # when it arrived (epoch seconds): ordering, not speed


#: An extension's operation: called with the request handler, the exchange and the path's groups.
RouteHandler = Callable[..., "_Reply"]


@dataclass
class Route:
    """A route added by an extension (:meth:`GitHubEmulator.add_route`).

    ``web`` routes match the whole request path (the web side: pages, git); the others match the
    path under the API prefix, as the built-in operations do.
    """

    method: str
    pattern: re.Pattern[str]
    operation: str
    handler: RouteHandler
    web: bool = False


class GitHubEmulator:
    """The emulated GitHub: its data, its clock, its faults and its HTTP server.

    ``prefix`` is a path prefix such as ``/api/v3`` (empty for github.com);
    ``ssl_context`` serves HTTPS instead of HTTP. ``url`` is the API base URL. ``token_format``
    is what installation tokens look like (:data:`STATELESS`, GitHub.com's since 2026, unless the
    prefix says Enterprise Server, whose tokens are :data:`CLASSIC`); ``token_lifetime`` is their
    life in seconds (GitHub's hour, or less to compress time).
    """

    def __init__(
        self,
        prefix: str = "",
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        token_format: str | None = None,
        token_lifetime: float = TOKEN_LIFETIME,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.token_format = token_format or (CLASSIC if self.prefix == "/api/v3" else STATELESS)
        self.token_lifetime = token_lifetime
        self.ssl_context = ssl_context
        self.host = host
        self.clock_offset = 0.0
        self.accounts: dict[str, Account] = {}
        self.repositories: dict[tuple[str, str], Repository] = {}
        self.apps: list[App] = []
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.exchanges: list[Exchange] = []
        self.faults: list[Fault] = []
        self.throttle = Throttle()
        self.routes: list[Route] = []  # extensions' routes, tried before the built-in ones
        self._lock = threading.Lock()
        self._answered = threading.Condition()
        self._next_id = 1000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the world ----------------------------------------------------------------------
    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def now(self) -> float:
        """The emulator's clock: real time plus ``clock_offset`` seconds."""
        return time.time() + self.clock_offset

    def add_account(self, login: str, type_: str = "Organization") -> Account:
        account = Account(login, self._id(), type_)
        self.accounts[login.lower()] = account
        return account

    def add_repository(self, owner: Account, name: str) -> Repository:
        repo = Repository(self._id(), name, owner)
        self.repositories[(owner.login.lower(), name.lower())] = repo
        return repo

    def add_app(
        self,
        slug: str,
        *,
        app_id: int,
        client_id: str,
        permissions: dict[str, str],
        private_key: rsa.RSAPrivateKey | None = None,
    ) -> App:
        owner = self.add_account(f"{slug}-owner")
        app = App(
            app_id,
            client_id,
            slug,
            slug.replace("-", " ").title(),
            owner,
            private_key or generate_private_key(),
            dict(permissions),
        )
        self.apps.append(app)
        return app

    def install(
        self,
        app: App,
        account: Account,
        repositories: list[str] | None = None,
        permissions: dict[str, str] | None = None,
    ) -> Installation:
        installation = Installation(self._id(), app, account, dict(permissions or app.permissions), repositories)
        self.installations[installation.id] = installation
        return installation

    def add_route(self, method: str, pattern: str, operation: str, handler: RouteHandler, *, web: bool = False) -> None:
        """Serve ``method`` on paths matching ``pattern`` (a regex, fully matched) with ``handler``.

        ``handler(request, exchange, **groups)`` returns (or raises) a :class:`Reply`; ``request`` is
        the HTTP handler (its ``headers``, ``authenticate_app()``, ``authenticate_token()``).
        """
        self.routes.append(Route(method, re.compile(pattern), operation, handler, web))

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60) -> bool:
        """Wait until ``condition()`` holds, checked after each answer sent (False after ``timeout`` s).

        For tests that act once the emulator has answered something (no polling, no sleeps).
        """
        with self._answered:
            return self._answered.wait_for(condition, timeout)

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def issue_token(
        self, inst: Installation, permissions: dict[str, str], repositories: list[str] | None, token_format: str
    ) -> IssuedToken:
        """A new installation token of ``token_format`` (not yet recorded in :attr:`tokens`).

        Stateless: ``ghs_<APP_ID>_`` and a JWT signed with GitHub's key (RS256) that names the app,
        the installation and the expiry; classic: ``ghs_`` and 36 random letters and digits.
        """
        now = self.now()
        expires = now + self.token_lifetime
        if token_format == STATELESS:
            jti = secrets.token_hex(16)
            claims = {
                "iss": "github",
                "app_id": inst.app.id,
                "installation_id": inst.id,
                "iat": int(now),
                "exp": int(expires),
                "jti": jti,
            }
            signed = jwt.encode(claims, github_signing_key(), algorithm="RS256")
            token = f"ghs_{inst.app.id}_{signed}"
        else:
            jti = ""
            token = "ghs_" + secrets.token_urlsafe(27).replace("-", "A").replace("_", "b")[:36]
        return IssuedToken(token, inst, expires, permissions, repositories, format=token_format, jti=jti)

    def token_for(self, value: str) -> IssuedToken | None:
        """The live token a request presents (None when unknown, tampered with, expired or revoked).

        A stateless token is checked as GitHub checks it: its JWT's signature (GitHub's key), its
        expiry and its app ID against the ``ghs_<APP_ID>_`` prefix, then its record (revocation).
        """
        if not TOKEN_PATTERN.fullmatch(value):
            return None
        prefix = re.fullmatch(r"ghs_([0-9]+)_(.+)", value)
        if prefix:
            try:
                claims = jwt.decode(
                    prefix.group(2),
                    github_signing_key().public_key(),
                    algorithms=["RS256"],
                    options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
                )
            except jwt.PyJWTError:
                return None
            if str(claims.get("app_id")) != prefix.group(1) or float(claims.get("exp", 0)) <= self.now():
                return None
        issued = self.tokens.get(value)
        if issued is None or issued.revoked or issued.expires_at <= self.now():
            return None
        return issued

    def requests_to(self, method: str, operation: str) -> list[Exchange]:
        """Recorded exchanges of one operation, by method and OpenAPI path template."""
        return [e for e in self.exchanges if e.method == method and e.operation == operation]

    # -- server ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{self.host}:{self.port}{self.prefix}"

    def start(self) -> GitHubEmulator:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = _Server((self.host, 0), handler)
        if self.ssl_context is not None:
            self._server.socket = self.ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitHubEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- representations (shapes of the REST API description's schemas) ----------------------
    def _web(self) -> str:
        """The web (non-API) base URL used in ``html_url`` fields."""
        return "https://github.example"

    def _api(self) -> str:
        return self.url if self._server else f"http://{self.host}{self.prefix}"

    def simple_user(self, account: Account) -> dict[str, Any]:
        api, login = self._api(), account.login
        return {
            "login": login,
            "id": account.id,
            "node_id": f"MDQ6VXNlcj{account.id}",
            "type": account.type,
            "avatar_url": f"https://avatars.example/u/{account.id}",
            "gravatar_id": "",
            "url": f"{api}/users/{login}",
            "html_url": f"{self._web()}/{login}",
            "followers_url": f"{api}/users/{login}/followers",
            "following_url": f"{api}/users/{login}/following{{/other_user}}",
            "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
            "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/users/{login}/subscriptions",
            "organizations_url": f"{api}/users/{login}/orgs",
            "repos_url": f"{api}/users/{login}/repos",
            "events_url": f"{api}/users/{login}/events{{/privacy}}",
            "received_events_url": f"{api}/users/{login}/received_events",
            "site_admin": False,
        }

    def enterprise(self, account: Account) -> dict[str, Any]:
        """An enterprise account (the ``enterprise`` schema)."""
        created = iso(self.now() - 86400 * 365)
        return {
            "id": account.id,
            "node_id": f"E_kgDO{account.id}",
            "name": account.login.title(),
            "slug": account.login,
            "html_url": f"{self._web()}/enterprises/{account.login}",
            "website_url": None,
            "description": None,
            "created_at": created,
            "updated_at": created,
            "avatar_url": f"https://avatars.example/b/{account.id}",
        }

    def repository(self, repo: Repository) -> dict[str, Any]:
        api = self._api()
        full = f"{repo.owner.login}/{repo.name}"
        base = f"{api}/repos/{full}"
        templated = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        created = iso(self.now() - 86400 * 30)
        data: dict[str, Any] = {key: base + suffix for key, suffix in templated.items()}
        data.update(
            {
                "id": repo.id,
                "node_id": f"R_kgDO{repo.id}",
                "name": repo.name,
                "full_name": full,
                "owner": self.simple_user(repo.owner),
                "private": repo.private,
                "html_url": f"{self._web()}/{full}",
                "description": None,
                "fork": False,
                "url": base,
                "clone_url": f"{self._web()}/{full}.git",
                "git_url": f"git://{self.host}/{full}.git",
                "ssh_url": f"git@{self.host}:{full}.git",
                "svn_url": f"{self._web()}/{full}",
                "mirror_url": None,
                "homepage": None,
                "language": None,
                "forks": 0,
                "forks_count": 0,
                "stargazers_count": 0,
                "watchers": 0,
                "watchers_count": 0,
                "size": 1,
                "default_branch": "main",
                "open_issues": 0,
                "open_issues_count": 0,
                "has_issues": True,
                "has_projects": False,
                "has_wiki": False,
                "has_pages": False,
                "has_downloads": False,
                "archived": False,
                "disabled": False,
                "license": None,
                "pushed_at": created,
                "created_at": created,
                "updated_at": created,
                "visibility": "private",
            }
        )
        return data

    def installation_json(self, inst: Installation) -> dict[str, Any]:
        created = iso(self.now() - 86400 * 7)
        # Settings pages: /organizations/<org>/settings/installations/<id>, or /settings/installations/<id>.
        owner_path = f"organizations/{inst.account.login}/" if inst.account.type == "Organization" else ""
        return {
            "id": inst.id,
            "account": self.simple_user(inst.account),
            "repository_selection": "selected" if inst.repositories is not None else "all",
            "access_tokens_url": f"{self._api()}/app/installations/{inst.id}/access_tokens",
            "repositories_url": f"{self._api()}/installation/repositories",
            "html_url": f"{self._web()}/{owner_path}settings/installations/{inst.id}",
            "app_id": inst.app.id,
            "client_id": inst.app.client_id,
            "app_slug": inst.app.slug,
            "target_id": inst.account.id,
            "target_type": inst.account.type,
            "permissions": dict(inst.permissions),
            "events": ["push", "pull_request"],
            "created_at": created,
            "updated_at": created,
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": self.simple_user(inst.suspended_by) if inst.suspended_by else None,
            "suspended_at": iso(inst.suspended_at) if inst.suspended_at else None,
        }

    def app_json(self, app: App) -> dict[str, Any]:
        created = iso(self.now() - 86400 * 90)
        return {
            "id": app.id,
            "slug": app.slug,
            "client_id": app.client_id,
            "node_id": f"A_kwDO{app.id}",
            "owner": self.simple_user(app.owner),
            "name": app.name,
            "description": "Emulated GitHub App",
            "external_url": f"{self._web()}/{app.slug}",
            "html_url": f"{self._web()}/apps/{app.slug}",
            "created_at": created,
            "updated_at": created,
            "permissions": dict(app.permissions),
            "events": ["push", "pull_request"],
            "installations_count": sum(1 for i in self.installations.values() if i.app is app),
        }

    def installation_repositories(self, inst: Installation, names: list[str] | None) -> list[Repository]:
        owned = [r for (owner, _), r in self.repositories.items() if owner == inst.account.login.lower()]
        if inst.repositories is not None:
            allowed = {n.lower() for n in inst.repositories}
            owned = [r for r in owned if r.name.lower() in allowed]
        if names is not None:
            wanted = {n.lower() for n in names}
            owned = [r for r in owned if r.name.lower() in wanted]
        return owned


def default_world(emulator: GitHubEmulator, private_key: rsa.RSAPrivateKey | None = None) -> App:
    """The standard test world.

    App ``token-minter`` (app ID 4242, client ID ``Iv23liEmulatorMinter1``), installed on
    - organization ``octo-org`` (repositories ``app``, ``infra`` selected; ``docs`` not),
      with contents/issues write, metadata/pull_requests read;
    - user ``octocat``, all repositories (``dotfiles``, ``blog``), contents/metadata read.
    - enterprise ``octo-enterprise``, with organization_administration read.
    Organization ``stranger-org`` (repository ``secret``) has no installation.
    """
    app = emulator.add_app(
        "token-minter",
        app_id=4242,
        client_id="Iv23liEmulatorMinter1",
        private_key=private_key,
        permissions={
            "contents": "write",
            "issues": "write",
            "metadata": "read",
            "pull_requests": "read",
            "organization_projects": "admin",
        },
    )
    org = emulator.add_account("octo-org", "Organization")
    for name in ("app", "infra", "docs"):
        emulator.add_repository(org, name)
    emulator.install(
        app,
        org,
        ["app", "infra"],
        {"contents": "write", "issues": "write", "metadata": "read", "pull_requests": "read"},
    )
    user = emulator.add_account("octocat", "User")
    for name in ("dotfiles", "blog"):
        emulator.add_repository(user, name)
    emulator.install(app, user, None, {"contents": "read", "metadata": "read"})
    enterprise = emulator.add_account("octo-enterprise", "Enterprise")
    emulator.install(app, enterprise, None, {"organization_administration": "read"})
    stranger = emulator.add_account("stranger-org", "Organization")
    emulator.add_repository(stranger, "secret")
    return app


class _Server(ThreadingHTTPServer):
    """One thread per connection; a listen backlog for hundreds of clients connecting at once."""

    daemon_threads = True
    request_queue_size = 1024


class _Reply(Exception):
    """An answer: ``body`` is sent as JSON, unless ``raw`` (bytes) is given with its ``content_type``."""

    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}
        self.raw, self.content_type = raw, content_type


Reply = _Reply


def _error(status: int, message: str, doc: str = DOCS, headers: dict[str, str] | None = None, **extra: Any) -> _Reply:
    return _Reply(status, {"message": message, "documentation_url": doc, "status": str(status), **extra}, headers)


error_reply = _error


ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"/app"), "/app"),
    ("GET", re.compile(r"/app/installations"), "/app/installations"),
    ("GET", re.compile(r"/app/installations/(?P<installation_id>[^/]+)"), "/app/installations/{installation_id}"),
    ("GET", re.compile(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/installation"), "/repos/{owner}/{repo}/installation"),
    ("GET", re.compile(r"/orgs/(?P<org>[^/]+)/installation"), "/orgs/{org}/installation"),
    ("GET", re.compile(r"/users/(?P<username>[^/]+)/installation"), "/users/{username}/installation"),
    (
        "POST",
        re.compile(r"/app/installations/(?P<installation_id>[^/]+)/access_tokens"),
        "/app/installations/{installation_id}/access_tokens",
    ),
    ("DELETE", re.compile(r"/installation/token"), "/installation/token"),
    ("GET", re.compile(r"/installation/repositories"), "/installation/repositories"),
    # Outside the vendored description: enterprise installations and user look-ups.
    ("GET", re.compile(r"/enterprises/(?P<enterprise>[^/]+)/installation"), "/enterprises/{enterprise}/installation"),
    ("GET", re.compile(r"/users/(?P<username>[^/]+)"), "/users/{username}"),
]


class _Handler(BaseHTTPRequestHandler):
    emulator: GitHubEmulator
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com-emulator"
    # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK hold the body back ~40 ms, a delay GitHub does not have.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        """The request body: ``Content-Length`` bytes, or every chunk of a chunked body (git sends those)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- plumbing -------------------------------------------------------------------------
    def _handle(self) -> None:
        em = self.emulator
        raw = self._read_body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        full_path, _, query = self.path.partition("?")
        path = full_path[len(em.prefix) :] if full_path.startswith(em.prefix + "/") or full_path == em.prefix else None
        exchange = Exchange(self.command, path if path is not None else full_path, dict(self.headers.items()), body)
        exchange.peer = "{}:{}".format(*self.client_address[:2])
        exchange.raw, exchange.query = raw, query
        with em._lock:
            em.exchanges.append(exchange)
            fault = self._take_fault(exchange)
        if fault is not None and fault.action in ("reset", "hang"):
            if fault.action == "hang":
                time.sleep(fault.delay)
            exchange.status = -1
            self._abort()
            return
        if fault is not None and fault.action in ("delay", "clock"):
            time.sleep(fault.delay)
            if fault.clock_offset is not None:
                em.clock_offset = fault.clock_offset
            fault = None
        if fault is not None and fault.action == "gate":
            fault.arrived.set()
            fault.release.wait(fault.delay or 60)
            fault = None
        lost = fault if fault is not None and fault.action == "after" else None
        if lost is not None:
            fault = None
        if fault is not None:
            reply = _Reply(
                fault.status,
                fault.body if fault.body is not None else {"message": "Injected fault"},
                dict(fault.headers),
            )
            self._send(exchange, reply)
            return
        with em._lock:
            refused = em.throttle.admit()
        if refused is not None:
            self._send(exchange, refused)
            return
        try:
            time.sleep(em.throttle.latency)
            try:
                reply = self._route(exchange, path)
            except _Reply as answer:
                reply = answer
            if lost is not None and lost.status == 0:
                exchange.status = -1
                self._abort()
                return
            if lost is not None:  # a gateway's answer, not GitHub's: outside the API description
                exchange.operation = None
                reply = _Reply(lost.status, lost.body if lost.body is not None else {"message": "Bad Gateway"})
            self._send(exchange, reply)
        finally:
            with em._lock:
                em.throttle.in_flight -= 1

    def _take_fault(self, exchange: Exchange) -> Fault | None:
        for fault in self.emulator.faults:
            if fault.times <= 0:
                continue
            if fault.method and fault.method != exchange.method:
                continue
            if fault.path and not re.fullmatch(fault.path, exchange.path):
                continue
            fault.times -= 1
            return fault
        return None

    def _abort(self) -> None:
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with suppress(OSError):
            self.connection.close()

    def _send(self, exchange: Exchange, reply: _Reply) -> None:
        payload = reply.raw if reply.raw is not None else b"" if reply.body is None else json.dumps(reply.body).encode()
        headers = {
            "Date": email.utils.formatdate(self.emulator.now(), usegmt=True),
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": secrets.token_hex(8).upper(),
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "Content-Length": str(len(payload)),
        }
        if reply.body is not None or reply.raw is not None:
            headers["Content-Type"] = reply.content_type
        headers.update(reply.headers)
        exchange.status, exchange.response_body, exchange.response_headers = reply.status, reply.body, headers
        with self.emulator._answered:
            self.emulator._answered.notify_all()
        try:
            self.send_response_only(reply.status)  # no second Date header on the real clock
            self.send_header("Server", self.server_version)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    # -- routing ------------------------------------------------------------------------------
    def _route(self, exchange: Exchange, path: str | None) -> _Reply:
        full_path = self.path.split("?", 1)[0]
        for route in self.emulator.routes:
            where = full_path if route.web else path
            match = route.pattern.fullmatch(where) if where is not None else None
            if match and route.method == self.command:
                exchange.operation = route.operation
                return route.handler(self, exchange, **match.groupdict())
        if path is None:
            raise _error(404, "Not Found")
        version = self.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in SUPPORTED_API_VERSIONS:
            raise _error(400, f"API version '{version}' is not supported.")
        for method, pattern, operation in ROUTES:
            match = pattern.fullmatch(path)
            if match and method == self.command:
                exchange.operation = operation
                handler = getattr(self, "op_" + re.sub(r"\W+", "_", f"{method} {operation}").strip("_"))
                result: _Reply = handler(exchange, **match.groupdict())
                return result
        raise _error(404, "Not Found")

    def authenticate_app(self) -> App:
        """The app whose app JWT authenticates this request (for extensions); raises a 401 reply."""
        return self._app()

    def authenticate_token(self) -> IssuedToken:
        """The live installation token this request presents (for extensions); raises a 401 reply."""
        return self._token()

    def _app(self) -> App:
        """Authenticate the request's app JWT as GitHub does; raise its 401 (or 404) reply otherwise.

        GitHub's texts (its docs and answers recorded in octokit, probot and actions issues): an
        undecodable JWT, another algorithm or a signature of another key: "A JSON web token could not
        be decoded"; an unknown ``iss``: :data:`MSG_INTEGRATION_NOT_FOUND` (a number, 404) or
        :data:`MSG_ISS`; an app without keys: :data:`MSG_NO_PUBLIC_KEY`; ``iat`` not a whole number or
        in the future: :data:`MSG_IAT`; ``exp`` not a number or past: :data:`MSG_EXP_PAST`; more than
        600 s ahead: :data:`MSG_EXP_FAR`.
        """
        em = self.emulator
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _error(401, MSG_JWT_UNDECODABLE)
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _error(401, MSG_JWT_UNDECODABLE) from None
        issuer = str(claims.get("iss", ""))
        app = next((a for a in em.apps if issuer in (str(a.id), a.client_id)), None)
        if header.get("alg") != "RS256":
            raise _error(401, MSG_JWT_UNDECODABLE)
        if app is None and issuer.isdigit():
            raise _error(404, MSG_INTEGRATION_NOT_FOUND)
        if app is None:
            raise _error(401, MSG_ISS)
        if not app.has_keys:
            raise _error(401, MSG_NO_PUBLIC_KEY)
        try:
            jwt.decode(
                token,
                app.private_key.public_key(),
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError:
            raise _error(401, MSG_JWT_UNDECODABLE) from None
        now = em.now()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or iat > now:
            raise _error(401, MSG_IAT)
        if not isinstance(exp, (int, float)) or exp <= now:
            raise _error(401, MSG_EXP_PAST)
        if exp > now + 600:
            raise _error(401, MSG_EXP_FAR)
        return app

    def _token(self) -> IssuedToken:
        auth = self.headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        issued = self.emulator.token_for(value) if scheme.lower() in ("bearer", "token") else None
        if issued is None:
            raise _error(401, MSG_BAD_CREDENTIALS)
        return issued

    def _installations(self, app: App) -> list[Installation]:
        return [i for i in self.emulator.installations.values() if i.app is app]

    # -- operations ---------------------------------------------------------------------------
    def op_GET_app(self, exchange: Exchange) -> _Reply:
        return _Reply(200, self.emulator.app_json(self._app()))

    def op_GET_app_installations(self, exchange: Exchange) -> _Reply:
        """Paged as GitHub pages it: ``per_page`` (default 30, at most 100), ``page``, a ``Link`` header."""
        app = self._app()
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        per_page = min(100, int(query.get("per_page", ["30"])[0]))
        page = int(query.get("page", ["1"])[0])
        everything = self._installations(app)
        chunk = everything[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(everything):
            headers["Link"] = f'<{self.emulator.url}/app/installations?per_page={per_page}&page={page + 1}>; rel="next"'
        return _Reply(200, [self.emulator.installation_json(i) for i in chunk], headers)

    def op_GET_app_installations_installation_id(self, exchange: Exchange, installation_id: str) -> _Reply:
        app = self._app()
        inst = self.emulator.installations.get(int(installation_id)) if installation_id.isdigit() else None
        if inst is None or inst.app is not app:
            raise _error(404, "Not Found")
        return _Reply(200, self.emulator.installation_json(inst))

    def op_GET_repos_owner_repo_installation(self, exchange: Exchange, owner: str, repo: str) -> _Reply:
        app = self._app()
        for inst in self._installations(app):
            if inst.account.login.lower() == owner.lower() and self.emulator.installation_repositories(inst, [repo]):
                return _Reply(200, self.emulator.installation_json(inst))
        raise _error(404, "Not Found")

    def op_GET_orgs_org_installation(self, exchange: Exchange, org: str) -> _Reply:
        app = self._app()
        for inst in self._installations(app):
            if inst.account.login.lower() == org.lower() and inst.account.type == "Organization":
                return _Reply(200, self.emulator.installation_json(inst))
        raise _error(404, "Not Found")

    def op_GET_users_username_installation(self, exchange: Exchange, username: str) -> _Reply:
        app = self._app()
        for inst in self._installations(app):
            if inst.account.login.lower() == username.lower():
                return _Reply(200, self.emulator.installation_json(inst))
        raise _error(404, "Not Found")

    def op_POST_app_installations_installation_id_access_tokens(
        self, exchange: Exchange, installation_id: str
    ) -> _Reply:
        em = self.emulator
        app = self._app()
        inst = em.installations.get(int(installation_id)) if installation_id.isdigit() else None
        if inst is None or inst.app is not app:
            raise _error(404, "Not Found")
        if inst.suspended:
            raise _error(403, "This installation has been suspended")
        body = exchange.body if exchange.body is not None else {}
        if not isinstance(body, dict) or set(body) - {"repositories", "repository_ids", "permissions"}:
            raise _error(422, "Invalid request.", errors=[{"code": "invalid", "resource": "InstallationToken"}])
        names = body.get("repositories")
        if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
            raise _error(422, "Invalid request.", errors=[{"code": "invalid", "field": "repositories"}])
        requested = body.get("permissions")
        if requested is not None:
            if not isinstance(requested, dict):
                raise _error(422, "Invalid request.", errors=[{"code": "invalid", "field": "permissions"}])
            for name, level in requested.items():
                if level not in PERMISSION_LEVELS.get(name, ()):
                    raise _error(422, "Invalid request.", errors=[{"code": "invalid", "field": f"permissions.{name}"}])
        ids = body.get("repository_ids")
        if ids is not None and (not isinstance(ids, list) or not all(type(i) is int for i in ids)):
            raise _error(422, "Invalid request.", errors=[{"code": "invalid", "field": "repository_ids"}])
        if names is not None:
            if len(names) > 500:
                raise _error(422, "Too many repositories: at most 500 can be requested.")
            found = em.installation_repositories(inst, names)
            if len({r.name.lower() for r in found}) != len({n.lower() for n in names}):
                raise _error(422, MSG_REPOS_NOT_ACCESSIBLE)
        if ids:
            reachable = {repo.id: repo.name for repo in em.installation_repositories(inst, None)}
            if not set(ids) <= set(reachable):
                raise _error(422, MSG_REPOS_NOT_ACCESSIBLE)
            names = list(dict.fromkeys([*(names or []), *(reachable[i] for i in ids)]))
        if requested:
            for name, level in requested.items():
                if LEVEL_RANK[level] > LEVEL_RANK.get(inst.permissions.get(name, ""), 0):
                    raise _error(422, MSG_PERMISSIONS_NOT_GRANTED)
        with em._lock:
            em.throttle.create_token(em.now())
        permissions = dict(requested) if requested else dict(inst.permissions)
        asked = (self.headers.get(TOKEN_FORMAT_HEADER) or "").strip().lower()
        token_format = {"enabled": STATELESS, "disabled": CLASSIC}.get(asked, em.token_format)
        repositories = list(names) if names is not None else inst.repositories
        issued = em.issue_token(inst, permissions, repositories, token_format)
        token = issued.token
        with em._lock:
            em.tokens[token] = issued
        result: dict[str, Any] = {
            "token": token,
            "expires_at": iso(issued.expires_at),
            "permissions": permissions,
            "repository_selection": "selected" if issued.repositories is not None else "all",
        }
        if issued.repositories is not None:
            result["repositories"] = [em.repository(r) for r in em.installation_repositories(inst, issued.repositories)]
        return _Reply(201, result)

    def op_GET_enterprises_enterprise_installation(self, exchange: Exchange, enterprise: str) -> _Reply:
        app = self._app()
        for inst in self._installations(app):
            if inst.account.type == "Enterprise" and inst.account.login.lower() == enterprise.lower():
                return _Reply(200, self.emulator.installation_json(inst))
        raise _error(404, "Not Found")

    def op_GET_users_username(self, exchange: Exchange, username: str) -> _Reply:
        """The public profile of a user or an app's bot user (``<slug>[bot]``)."""
        login = urllib.parse.unquote(username)
        for app in self.emulator.apps:
            if login.lower() == f"{app.slug}[bot]":
                return _Reply(
                    200,
                    {
                        **self.emulator.simple_user(Account(login, app.id * 1000 + 7, "Bot")),
                        "name": None,
                        "created_at": iso(self.emulator.now()),
                    },
                )
        account = self.emulator.accounts.get(login.lower())
        if account is None:
            raise _error(404, "Not Found")
        return _Reply(200, self.emulator.simple_user(account))

    def op_DELETE_installation_token(self, exchange: Exchange) -> _Reply:
        issued = self._token()
        issued.revoked = True
        return _Reply(204)

    def op_GET_installation_repositories(self, exchange: Exchange) -> _Reply:
        issued = self._token()
        repos = self.emulator.installation_repositories(issued.installation, issued.repositories)
        return _Reply(
            200,
            {
                "total_count": len(repos),
                "repositories": [self.emulator.repository(r) for r in repos],
                "repository_selection": "selected" if issued.repositories is not None else "all",
            },
        )


@contextmanager
def running(
    prefix: str = "",
    ssl_context: ssl.SSLContext | None = None,
    private_key: rsa.RSAPrivateKey | None = None,
    token_format: str | None = None,
) -> Iterator[tuple[GitHubEmulator, App]]:
    """Start an emulator with :func:`default_world`; yield ``(emulator, app)``; stop it."""
    emulator = GitHubEmulator(prefix, ssl_context, token_format=token_format)
    app = default_world(emulator, private_key)
    with emulator:
        yield emulator, app
