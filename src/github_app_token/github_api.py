"""Talk to GitHub's REST API: find the installation, create and revoke the token.

One ``requests`` session (keep-alive, retries by urllib3's ``Retry``) serves every request
of a stage. Each request sends ``Accept: application/vnd.github+json``,
``X-GitHub-Api-Version: 2022-11-28``, a ``User-Agent`` naming this action, and exactly
the ``Authorization`` the caller chose: the session does not trust the environment
(``trust_env = False``), because with it requests would replace that header with
credentials from ``~/.netrc`` or ``$NETRC``, a file other steps of the job can write
(``HOME`` is shared by every Docker action of a job). What the environment may
legitimately say is taken explicitly instead: proxies (``HTTPS_PROXY``, ``NO_PROXY``,
either case, by requests' own ``get_environ_proxies``) and the CA bundle (given by the
caller, see :func:`github_app_token.inputs.resolve_ca_bundle`). Operations are those of
GitHub's REST API description (``data/github-api/operations.json``).
"""

from __future__ import annotations

import contextlib
import datetime
import time
import urllib.parse
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from . import __version__, messages
from .errors import GitHubAPIError, NetworkError
from .names import ACTION_NAMES, Names
from .retry import BUDGET, SYSTEM_CLOCK, Clock, make_retry

if TYPE_CHECKING:
    from collections.abc import Callable

    from .app_jwt import Signer
    from .cancel import Cancellation
    from .inputs import InstallationTarget

API_VERSION = "2022-11-28"
USER_AGENT = f"github-app-token/{__version__}"
#: (connect, read) timeouts in seconds for every request.
TIMEOUT = (5.0, 10.0)
#: Read timeout of the token request: a slow answer is waited for rather than the request sent again
#: (a resend after GitHub created a token whose answer was slow would leave that token with nobody).
CREATE_READ_TIMEOUT = 30.0
#: Answers after which a request may have been carried out although its answer was lost: a 5xx from
#: a gateway (502, 504) or from GitHub, a reset or timeout once the request was sent.
AMBIGUOUS_STATUSES = frozenset({500, 502, 503, 504})
#: Start of the 401 messages GitHub sends when the app JWT's times are off.
CLOCK_MESSAGES = (
    "'Issued at' claim ('iat') must be",
    "'Expiration time' claim ('exp') is too far in the future",
    "'Expiration time' claim ('exp') must be",
)
#: In a TLS error, the signs that the server answered the handshake in plain text (OpenSSL 1 and 3).
NOT_TLS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure", "http request")

#: Start of GitHub's answers to an app JWT whose ``iss`` names no app: 404 ``Integration not found``
#: (an unknown app ID), 401 ``'Issuer' claim ('iss') must be an Integer`` (neither an app ID nor a
#: known client ID), 401 ``Integration must generate a public key`` (an app without keys).
UNKNOWN_APP_MESSAGES = (
    "Integration not found",
    "'Issuer' claim ('iss') must be",
    "Integration must generate a public key",
)


class Installation(NamedTuple):
    """An installation of the app (the ``installation`` schema, fields we use).

    ``permissions`` is what the installation was granted (``{name: level}``); ``suspended_at``
    (ISO 8601, UTC) and ``suspended_by`` (a login) are empty unless it is suspended;
    ``html_url`` is its settings page. All empty when the record was not looked up.
    """

    id: int
    app_slug: str
    account_login: str
    repository_selection: str
    permissions: dict[str, str] | None = None
    suspended_at: str = ""
    suspended_by: str = ""
    html_url: str = ""


class InstallationSummary(NamedTuple):
    """One entry of ``GET /app/installations``: id, account, its type, repository selection,
    and the app's slug and the installation's settings page."""

    id: int
    account_login: str
    target_type: str
    repository_selection: str
    app_slug: str = ""
    html_url: str = ""


class InstallationToken(NamedTuple):
    """A created installation access token (the ``installation-token`` schema).

    ``expires_at`` is GitHub's ISO 8601 UTC string; ``repositories`` holds the names
    GitHub returned (``None`` when the token reaches all of the installation's).
    """

    token: str
    expires_at: str
    permissions: dict[str, str]
    repositories: tuple[str, ...] | None
    repository_selection: str

    def __repr__(self) -> str:  # never show the token
        return f"InstallationToken(token='***', expires_at={self.expires_at!r})"

    def expires_epoch(self) -> float:
        """``expires_at`` as epoch seconds (UTC, GitHub's clock). Raises ValueError when unreadable."""
        return datetime.datetime.fromisoformat(self.expires_at.replace("Z", "+00:00")).timestamp()


def clock_offset(date_header: str, now: float | None = None) -> float | None:
    """GitHub's clock minus ours (``now``, epoch seconds UTC, default the clock), in seconds, from an
    HTTP ``Date`` header (None if unreadable)."""
    try:
        return parsedate_to_datetime(date_header).timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, IndexError):
        return None


def rate_limit_note(status: int, headers: Mapping[str, str]) -> str:
    """For a rate-limit answer (403/429 with rate-limit headers): which limit, what is left, when it
    resets (UTC); "" for any other answer. Source: GitHub Docs, "Rate limits for the REST API"."""
    if status not in (403, 429):
        return ""
    retry_after = headers.get("Retry-After", "")
    remaining = headers.get("x-ratelimit-remaining", "")
    if not retry_after and remaining != "0":
        return ""
    resource = headers.get("x-ratelimit-resource") or "secondary"
    parts = [f"limit '{resource}'"]
    if remaining:
        parts.append(f"{remaining} of {headers.get('x-ratelimit-limit', '?')} requests left")
    try:
        reset = datetime.datetime.fromtimestamp(int(headers.get("x-ratelimit-reset", "")), datetime.UTC)
        wait = max(0, round(reset.timestamp() - time.time()))
        parts.append(f"resets at {reset:%Y-%m-%d %H:%M:%S} UTC, in {wait} s")
    except ValueError:
        pass
    if retry_after:
        parts.append(f"GitHub asked to wait {retry_after} s")
    return ", ".join(parts)


def resends(response: requests.Response) -> list[str]:
    """Why the request behind ``response`` was sent again after it may have been carried out: one
    reason per ambiguous attempt (a 5xx, a reset or timeout after sending), from urllib3's history."""
    retries = getattr(response.raw, "retries", None)
    found = []
    for attempt in getattr(retries, "history", ()) or ():
        if attempt.status in AMBIGUOUS_STATUSES:
            found.append(f"HTTP {attempt.status}")
        elif (
            attempt.status is None
            and attempt.error is not None
            and not isinstance(
                attempt.error, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
            )
        ):
            found.append("the connection was lost before the answer")
    return found


def unreadable(method: str, path: str, status: int, reason: str) -> GitHubAPIError:
    """The error for a response with a success status whose body is not what GitHub sends."""
    return GitHubAPIError(
        messages.BAD_RESPONSE.format(method=method, path=path, reason=reason),
        status=status,
        github_message=reason,
        documentation_url=None,
        method=method,
        path=path,
    )


def _github_message(response: requests.Response) -> tuple[str, str | None]:
    """Return GitHub's error ``message`` and ``documentation_url`` (or the HTTP reason)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        doc = body.get("documentation_url")
        return body["message"].strip()[:500], doc if isinstance(doc, str) else None
    return (response.reason or "no message").strip()[:200], None


class GitHubAPI:
    """A client for the few REST operations this action needs.

    ``base_url`` is the REST API root without a trailing ``/`` (a ``/api/v3`` prefix is
    kept). ``log`` receives one line per retry; ``budget`` is the seconds retries may take, on
    ``clock`` (the real one unless a test models time). ``mask`` receives each app JWT before it is
    first sent (the action masks it). With ``cancellation``, a signal stops every
    request not yet started (revocations excepted) and every wait between retries, raising
    :class:`github_app_token.cancel.Cancelled`; a request in flight finishes. Every method raises
    :class:`GitHubAPIError` for an unexpected status and :class:`NetworkError` when
    GitHub cannot be reached.
    """

    def __init__(
        self,
        base_url: str,
        *,
        log: Callable[[str], None] | None = None,
        debug: Callable[[str], None] | None = None,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = TIMEOUT,
        budget: float = BUDGET,
        clock: Clock = SYSTEM_CLOCK,
        cancellation: Cancellation | None = None,
        names: Names = ACTION_NAMES,
        mask: Callable[[str], None] | None = None,
    ) -> None:
        self.base_url = base_url
        self.names = names
        self._mask = mask
        self._masked: set[str] = set()
        self.cancellation = cancellation
        if cancellation is not None and clock is SYSTEM_CLOCK:
            clock = cancellation  # waits between retries end when the step is cancelled
        self.timeout = timeout
        self._debug = debug
        #: GitHub's clock minus ours, in seconds, from the last response's ``Date`` header.
        self.server_offset = 0.0
        # Passed with each request: an explicit bundle wins over REQUESTS_CA_BUNDLE.
        self.verify: str | bool = ca_bundle or True
        self.session = requests.Session()
        self.session.trust_env = False  # no credentials from ~/.netrc or $NETRC, ever
        # Plain http is only ever allowed to a loopback host (inputs.is_loopback): never via a proxy,
        # which would carry the app JWT off the machine in clear text.
        plain = urllib.parse.urlsplit(base_url).scheme == "http"
        self.proxies = {} if plain else requests.utils.get_environ_proxies(base_url)
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": USER_AGENT,
            }
        )
        adapter = HTTPAdapter(max_retries=make_retry(log, budget, clock))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        """Close the keep-alive connections."""
        self.session.close()

    # -- transport ------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        authorization: str,
        body: Any = None,
        *,
        essential: bool = False,
        read_timeout: float | None = None,
    ) -> requests.Response:
        """One request (with the retry policy). Unless ``essential`` (a revocation), none starts once
        cancelled. ``read_timeout`` (seconds) replaces the usual one."""
        if self.cancellation is not None and not essential:
            self.cancellation.check()
        started = time.perf_counter()
        timeout = (self.timeout[0], read_timeout or self.timeout[1])
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                headers={"Authorization": authorization},
                json=body,
                timeout=timeout,
                verify=self.verify,
                proxies=self.proxies,
            )
        except requests.exceptions.SSLError as error:
            reason = (
                "the server does not speak TLS there (is it plain http? then the URL starts with http://)"
                if any(sign in str(error) for sign in NOT_TLS)
                else "the TLS certificate could not be verified; for a private CA, give its bundle in "
                f"{self.names['ca-bundle']} or SSL_CERT_FILE"
            )
        except requests.exceptions.ProxyError:
            reason = "the proxy refused or failed the connection (check HTTPS_PROXY / NO_PROXY)"
        except requests.exceptions.ConnectTimeout:
            reason = f"no connection within {self.timeout[0]:g} seconds"
        except requests.exceptions.ReadTimeout:
            reason = f"no answer within {timeout[1]:g} seconds"
        except requests.exceptions.RetryError:
            reason = "it kept failing after several attempts"
        except requests.exceptions.ConnectionError as error:
            reason = self._describe(error)
        except requests.exceptions.RequestException as error:
            reason = type(error).__name__
        else:
            self._observe_clock(response.headers.get("Date", ""))
            if self._debug is not None:
                elapsed = (time.perf_counter() - started) * 1000
                lines = [f"{method} {path} -> HTTP {response.status_code} ({elapsed:.0f} ms)"]
                # GETs and revokes may repeat; a POST that was sent again may have made a token nobody holds
                lines += [messages.RESENT.format(method=method, path=path, why=why) for why in resends(response)]
                with contextlib.suppress(OSError):  # a closed log must not lose the answer (a new token)
                    for line in lines if method == "POST" else lines[:1]:
                        self._debug(line)
            return response
        raise NetworkError(messages.NETWORK_ERROR.format(url=self.base_url, reason=reason, inputs=self.names))

    def _observe_clock(self, date_header: str) -> None:
        offset = clock_offset(date_header)
        if offset is not None:
            self.server_offset = offset

    def _describe(self, error: requests.exceptions.ConnectionError) -> str:
        """Name the root cause of a failed connection in a few words (no URL, no headers)."""
        cause: object = error.args[0] if error.args else None
        cause = getattr(cause, "reason", cause)
        if isinstance(cause, urllib3.exceptions.ReadTimeoutError):
            return f"no answer within {self.timeout[1]:g} seconds, after retries"
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return "the host name could not be resolved"
        if isinstance(cause, urllib3.exceptions.NewConnectionError):
            return "the connection was refused or the host is unreachable, after retries"
        if isinstance(cause, urllib3.exceptions.ProtocolError):
            return "the connection was closed or reset, after retries"
        return "the connection failed"

    def _error(self, response: requests.Response, method: str, path: str) -> GitHubAPIError:
        github_message, doc = _github_message(response)
        limit = rate_limit_note(response.status_code, response.headers)
        template = messages.RATE_LIMITED if limit else messages.GITHUB_ERROR
        return GitHubAPIError(
            template.format(
                method=method,
                path=path,
                status=response.status_code,
                github_message=github_message,
                limit=limit,
                inputs=self.names,
            ),
            status=response.status_code,
            github_message=github_message,
            documentation_url=doc,
            method=method,
            path=path,
            rate_limited=bool(limit),
        )

    def _json(self, response: requests.Response, method: str, path: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise unreadable(method, path, response.status_code, "not a JSON object")
        return data

    def _bearer(self, auth: Signer) -> str:
        """``Bearer <app JWT>``, the JWT handed to ``mask`` first (once each)."""
        token = auth.jwt()
        if self._mask is not None and token not in self._masked:
            self._masked.add(token)
            self._mask(token)
        return f"Bearer {token}"

    def _app_request(
        self, method: str, path: str, auth: Signer, expected: int, body: Any = None, read_timeout: float | None = None
    ) -> dict[str, Any]:
        """Send a request authenticated by an app JWT; correct the clock once on a time 401.

        The correction signs a new JWT on GitHub's clock (``Date`` header); a signer that
        cannot sign again (an app JWT signed elsewhere) gets the 401 as it is.
        """
        response = self._send(method, path, self._bearer(auth), body, read_timeout=read_timeout)
        if response.status_code == 401 and auth.can_resign:
            github_message, _ = _github_message(response)
            offset = clock_offset(response.headers.get("Date", ""))
            if github_message.startswith(CLOCK_MESSAGES) and offset is not None:
                auth.clock_offset = offset  # sign on GitHub's clock from now on
                response = self._send(method, path, self._bearer(auth), body, read_timeout=read_timeout)
        if response.status_code != expected:
            raise self._error(response, method, path)
        return self._json(response, method, path)

    # -- operations -------------------------------------------------------------------
    def get_app(self, auth: Signer) -> dict[str, Any]:
        """``GET /app`` (apps/get-authenticated): the app's own record."""
        return self._app_request("GET", "/app", auth, 200)

    def list_installations(self, auth: Signer, max_pages: int | None = None) -> list[InstallationSummary]:
        """``GET /app/installations`` (apps/list-installations): every page of 100, or ``max_pages``."""
        found: list[InstallationSummary] = []
        url: str | None = f"{self.base_url}/app/installations?per_page=100"
        pages = 0
        while url and (max_pages is None or pages < max_pages):
            pages += 1
            path = self.path_of(url)
            if path is None:  # a next page elsewhere: the app JWT goes to GitHub only
                raise unreadable("GET", "/app/installations", 200, "its next page is on another server")
            response = self._send("GET", path, self._bearer(auth))
            if response.status_code != 200:
                raise self._error(response, "GET", "/app/installations")
            page = response.json()
            if not isinstance(page, list):
                raise unreadable("GET", "/app/installations", 200, "not a list")
            for item in page:
                account = item.get("account") or {}
                found.append(
                    InstallationSummary(
                        int(item["id"]),
                        str(account.get("login") or account.get("slug") or ""),
                        str(item.get("target_type") or ""),
                        str(item.get("repository_selection") or ""),
                        str(item.get("app_slug") or ""),
                        str(item.get("html_url") or ""),
                    )
                )
            url = response.links.get("next", {}).get("url")
        return found

    def path_of(self, url: str) -> str | None:
        """The path (and query) of ``url`` under the API's base URL, or None when ``url`` is elsewhere:
        another scheme, host or port, or outside the base path (``/api/v3``). Used for the ``Link``
        header's next page, which carries the app JWT if followed."""
        base, other = urllib.parse.urlsplit(self.base_url), urllib.parse.urlsplit(url)
        try:
            same_origin = (base.scheme, base.hostname, base.port) == (other.scheme, other.hostname, other.port)
        except ValueError:  # a port that is no number
            return None
        prefix = base.path.rstrip("/")
        if not same_origin or other.username or other.password or not other.path.startswith(prefix + "/"):
            return None
        if any(segment in (".", "..") for segment in other.path.split("/")):
            return None  # /api/v3/../elsewhere would leave the base path once resolved
        return other.path[len(prefix) :] + (f"?{other.query}" if other.query else "")

    def get_installation(self, target: InstallationTarget, auth: Signer) -> Installation:
        """Find the app's installation for a repository or an account.

        ``GET /enterprises/{enterprise}/installation`` when ``target.enterprise`` is set,
        ``GET /repos/{owner}/{repo}/installation`` (apps/get-repo-installation) when
        ``target.repository`` is set, else ``GET /users/{username}/installation``
        (apps/get-user-installation), which answers for organizations as well.
        """
        if target.enterprise:
            path = f"/enterprises/{target.enterprise}/installation"
        elif target.repository:
            path = f"/repos/{target.owner}/{target.repository}/installation"
        else:
            path = f"/users/{target.owner}/installation"
        data = self._app_request("GET", path, auth, 200)
        try:
            account = data.get("account") or {}
            permissions = data.get("permissions")
            suspender = data.get("suspended_by") or {}
            return Installation(
                id=int(data["id"]),
                app_slug=str(data.get("app_slug") or ""),
                account_login=str(account.get("login") or account.get("slug") or target.owner),
                repository_selection=str(data.get("repository_selection") or ""),
                permissions={str(k): str(v) for k, v in permissions.items()} if isinstance(permissions, dict) else None,
                suspended_at=str(data.get("suspended_at") or ""),
                suspended_by=str(suspender.get("login") or "") if isinstance(suspender, dict) else "",
                html_url=str(data.get("html_url") or ""),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise unreadable("GET", path, 200, "no installation id") from None

    def create_installation_token(
        self, installation_id: int, auth: Signer, body: dict[str, object]
    ) -> InstallationToken:
        """``POST /app/installations/{installation_id}/access_tokens``.

        ``body`` may hold ``repositories`` (names) and ``permissions`` ({name: level}).
        Returns the token; GitHub sets it to expire one hour after creation. Its answer is waited for
        up to :data:`CREATE_READ_TIMEOUT` seconds rather than the request sent again; a resend after
        an answer that may have been lost (a 5xx, a reset) is logged in the debug log (see
        docs/reliability.md: a token GitHub created then is held by nobody and expires within the hour).
        """
        path = f"/app/installations/{installation_id}/access_tokens"
        data = self._app_request("POST", path, auth, 201, body or None, read_timeout=CREATE_READ_TIMEOUT)
        token, expires_at = data.get("token"), data.get("expires_at")
        if not isinstance(token, str) or not token or not isinstance(expires_at, str):
            raise unreadable("POST", path, 201, "no token in it")
        repositories = data.get("repositories")
        names = (
            tuple(str(repo.get("name")) for repo in repositories if isinstance(repo, dict))
            if isinstance(repositories, list)
            else None
        )
        permissions = data.get("permissions")
        return InstallationToken(
            token=token,
            expires_at=expires_at,
            permissions=({str(k): str(v) for k, v in permissions.items()} if isinstance(permissions, dict) else {}),
            repositories=names,
            repository_selection=str(data.get("repository_selection") or ""),
        )

    def get_user_id(self, login: str, token: str) -> int:
        """``GET /users/{username}`` (users/get-by-username) with an installation token: the user's id."""
        path = "/users/" + urllib.parse.quote(login, safe="")
        response = self._send("GET", path, f"Bearer {token}")
        if response.status_code != 200:
            raise self._error(response, "GET", path)
        user_id = self._json(response, "GET", path).get("id")
        if not isinstance(user_id, int):
            raise unreadable("GET", path, 200, "no user id")
        return user_id

    def revoke_installation_token(self, token: str) -> None:
        """``DELETE /installation/token`` (apps/revoke-installation-access-token), expecting 204."""
        response = self._send("DELETE", "/installation/token", f"Bearer {token}", essential=True)
        if response.status_code != 204:
            raise self._error(response, "DELETE", "/installation/token")
