"""Parse the action's inputs and the runner environment into typed values.

The runner passes input ``some-name`` as the environment variable ``INPUT_SOME-NAME``
(upper case, hyphens kept); an unset input and an empty one are the same (``""``).
Every problem raises :class:`~github_app_token.errors.InputError` with a message that
names the input and the expected format. Nothing here touches the network or the key.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import NamedTuple

from . import messages
from .errors import InputError
from .permission_levels import PERMISSION_LEVELS

DEFAULT_API_URL = "https://api.github.com"
PERMISSION_PREFIX = "permission-"
#: The create-token operation accepts at most this many repositories.
MAX_REPOSITORIES = 500

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
# Owner (user or organization login) and repository names, as GitHub allows them.
# Logins: letters, digits, hyphens; managed users add "_shortcode". Repositories also
# allow "." and "_". Neither may hold "/", "%", whitespace or control characters.
_OWNER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,98}[A-Za-z0-9])?")
_REPOSITORY_RE = re.compile(r"[A-Za-z0-9._-]{1,100}")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def input_variable(name: str) -> str:
    """Return the environment variable the runner uses for input ``name``."""
    return "INPUT_" + name.replace(" ", "_").upper()


def get_input(env: Mapping[str, str], name: str) -> str:
    """Return input ``name`` with surrounding whitespace removed ("" when unset)."""
    return env.get(input_variable(name), "").strip()


def parse_bool(env: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    """Parse a boolean input as the Actions toolkit does (YAML 1.2 core schema).

    Accepts ``true``/``True``/``TRUE`` and ``false``/``False``/``FALSE``; empty gives
    ``default``. Raises InputError otherwise.
    """
    value = get_input(env, name)
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InputError(messages.BAD_BOOLEAN.format(name=name, value=_shown(value)))


def _shown(value: str, limit: int = 60) -> str:
    """A user value made safe to quote in one log line: escaped, and shortened."""
    text = value.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_api_url(env: Mapping[str, str]) -> str:
    """Return the REST API base URL, without a trailing ``/``.

    From the ``github-api-url`` input, else ``GITHUB_API_URL``, else api.github.com.
    A path prefix such as GitHub Enterprise Server's ``/api/v3`` is kept. Only https is
    accepted, except plain http to a loopback host; credentials, a query or a fragment
    are refused. Raises InputError.
    """
    raw = get_input(env, "github-api-url") or env.get("GITHUB_API_URL", "").strip()
    url = (raw or DEFAULT_API_URL).rstrip("/")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise InputError(messages.BAD_API_URL.format(value=_shown(url), why="it is not a valid URL")) from None
    why = ""
    if parts.scheme not in ("https", "http") or not host:
        why = "it must start with https:// and name a host"
    elif parts.scheme == "http" and host not in _LOOPBACK_HOSTS and not host.startswith("127."):
        why = "plain http is only allowed for a loopback host; use https://"
    elif parts.username is not None or parts.password is not None:
        why = "it must not contain credentials"
    elif parts.query or parts.fragment or "?" in url or "#" in url:
        why = "it must not contain a query (?) or a fragment (#)"
    elif any(ch.isspace() or ord(ch) < 32 for ch in url):
        why = "it must not contain whitespace or control characters"
    if why:
        # Never echo a URL that may carry credentials.
        shown = "(not shown: it contains credentials)" if "credentials" in why else _shown(url)
        raise InputError(messages.BAD_API_URL.format(value=shown, why=why))
    return url


def resolve_ca_bundle(env: Mapping[str, str]) -> str | None:
    """Return the path of the CA bundle to verify GitHub's certificate with, or None for the default.

    From the ``ca-bundle`` input (PEM text, written to a file under ``RUNNER_TEMP``, or a
    path, relative paths from the workspace), else ``REQUESTS_CA_BUNDLE``,
    ``SSL_CERT_FILE`` or ``CURL_CA_BUNDLE`` when they name a file. Raises InputError for
    a missing file or text that holds no certificate.
    """
    value = get_input(env, "ca-bundle")
    if value.startswith("-----BEGIN"):
        if "-----BEGIN CERTIFICATE-----" not in value:
            raise InputError(messages.BAD_CA_BUNDLE)
        import tempfile  # only when a PEM bundle is given

        temp = env.get("RUNNER_TEMP", "")
        handle, path = tempfile.mkstemp(prefix="ca-bundle-", suffix=".pem", dir=temp if os.path.isdir(temp) else None)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(value.replace("\r\n", "\n").replace("\\n", "\n") + "\n")
        return path
    if value:
        base = env.get("GITHUB_WORKSPACE", "") or os.getcwd()
        path = os.path.join(base, value)
        if not os.path.isfile(path):
            raise InputError(messages.CA_BUNDLE_NOT_FOUND.format(value=_shown(value)))
        return path
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        path = env.get(variable, "").strip()
        if path and os.path.isfile(path):
            return path
    return None


def check_owner(owner: str, source: str) -> str:
    """Return ``owner`` if it is a valid GitHub login, else raise InputError."""
    if not _OWNER_RE.fullmatch(owner):
        raise InputError(messages.BAD_OWNER.format(source=source, value=_shown(owner)))
    return owner


def check_repository(name: str, source: str) -> str:
    """Return repository ``name`` if GitHub allows it, else raise InputError."""
    if not _REPOSITORY_RE.fullmatch(name) or name in (".", "..") or ".." in name:
        raise InputError(messages.BAD_REPOSITORY.format(source=source, value=_shown(name)))
    return name


def split_list(value: str) -> list[str]:
    """Split on commas and newlines; trim entries, drop empty ones and duplicates, keep order."""
    seen: dict[str, None] = {}
    for item in re.split(r"[,\n]", value):
        item = item.strip()
        if item:
            seen.setdefault(item, None)
    return list(seen)


def parse_permissions(env: Mapping[str, str]) -> dict[str, str]:
    """Return ``{permission: level}`` from every non-empty ``permission-*`` input.

    Input ``permission-pull-requests: write`` gives ``{"pull_requests": "write"}``.
    Levels are matched case-insensitively. An unknown permission or level raises
    InputError listing what is allowed. Source: ``components.schemas.app-permissions``.
    """
    prefix = input_variable(PERMISSION_PREFIX)
    permissions: dict[str, str] = {}
    for variable in sorted(env):
        if not variable.startswith(prefix):
            continue
        level = env[variable].strip().lower()
        if not level:
            continue
        input_name = variable[len("INPUT_") :].lower()
        name = input_name[len(PERMISSION_PREFIX) :].replace("-", "_")
        allowed = PERMISSION_LEVELS.get(name)
        if allowed is None:
            import difflib  # only on this error path: it is slow to import

            close = difflib.get_close_matches(name, PERMISSION_LEVELS, n=3)
            hint = ", ".join(PERMISSION_PREFIX + c.replace("_", "-") for c in close)
            raise InputError(
                messages.UNKNOWN_PERMISSION.format(
                    input=_shown(input_name), hint=f" Did you mean {hint}?" if hint else ""
                )
            )
        if level not in allowed:
            raise InputError(
                messages.BAD_PERMISSION_LEVEL.format(
                    input=input_name, value=_shown(env[variable].strip()), allowed=", ".join(allowed)
                )
            )
        permissions[name] = level
    return {name: permissions[name] for name in PERMISSION_LEVELS if name in permissions}  # API order


class InstallationTarget(NamedTuple):
    """Where to look up the installation.

    ``enterprise`` set: ``GET /enterprises/{enterprise}/installation``;
    ``repository`` set: ``GET /repos/{owner}/{repository}/installation``;
    otherwise ``GET /users/{owner}/installation`` (works for organizations too).
    """

    owner: str
    repository: str | None = None
    enterprise: str | None = None


class TokenScope(NamedTuple):
    """What the token is for: the installation lookup and the body of the create request.

    ``repositories`` is ``None`` for every repository the installation can reach;
    ``permissions`` is empty for every permission of the installation.
    """

    target: InstallationTarget
    repositories: tuple[str, ...] | None
    permissions: dict[str, str]

    def request_body(self) -> dict[str, object]:
        """The JSON body of ``POST /app/installations/{id}/access_tokens``."""
        body: dict[str, object] = {}
        if self.repositories is not None:
            body["repositories"] = list(self.repositories)
        if self.permissions:
            body["permissions"] = dict(self.permissions)
        return body


def resolve_scope(env: Mapping[str, str]) -> TokenScope:
    """Apply the scope rules of ``owner`` and ``repositories`` (as actions/create-github-app-token).

    ====== ============ ============================================= ===================
    owner  repositories lookup                                        token repositories
    ====== ============ ============================================= ===================
    unset  unset        ``/repos/{GITHUB_REPOSITORY}/installation``   the current one
    set    unset        ``/users/{owner}/installation``               all
    unset  set          ``/repos/{GITHUB_REPOSITORY_OWNER}/{first}``  those listed
    set    set          ``/repos/{owner}/{first}/installation``       those listed
    ====== ============ ============================================= ===================

    With ``enterprise`` set (and neither of the others): ``/enterprises/{enterprise}/installation``,
    every repository. Raises InputError for a bad name, a repository of another owner, more than 500
    repositories, or a missing ``GITHUB_REPOSITORY``/``GITHUB_REPOSITORY_OWNER``.
    """
    owner_input = get_input(env, "owner")
    owner = check_owner(owner_input, "owner") if owner_input else ""
    entries = split_list(get_input(env, "repositories"))
    permissions = parse_permissions(env)
    enterprise = get_input(env, "enterprise")

    if enterprise:
        if owner or entries:
            raise InputError(messages.ENTERPRISE_WITH_SCOPE)
        check_owner(enterprise, "enterprise")
        return TokenScope(InstallationTarget(enterprise, None, enterprise), None, permissions)

    if not owner and not entries:
        current = env.get("GITHUB_REPOSITORY", "").strip()
        if not current:
            raise InputError(messages.MISSING_GITHUB_REPOSITORY)
        current_owner, _, current_name = current.partition("/")
        check_owner(current_owner, "GITHUB_REPOSITORY")
        check_repository(current_name, "GITHUB_REPOSITORY")
        return TokenScope(InstallationTarget(current_owner, current_name), (current_name,), permissions)

    if owner and not entries:
        return TokenScope(InstallationTarget(owner), None, permissions)

    if not owner:
        owner = env.get("GITHUB_REPOSITORY_OWNER", "").strip()
        if not owner:
            raise InputError(messages.MISSING_GITHUB_REPOSITORY_OWNER)
        check_owner(owner, "GITHUB_REPOSITORY_OWNER")

    if len(entries) > MAX_REPOSITORIES:
        raise InputError(messages.TOO_MANY_REPOSITORIES.format(count=len(entries), limit=MAX_REPOSITORIES))
    names: dict[str, None] = {}
    for entry in entries:
        entry_owner, slash, name = entry.rpartition("/")
        if slash:
            check_owner(entry_owner, "repositories")
            if entry_owner.casefold() != owner.casefold():
                raise InputError(messages.REPOSITORY_OF_OTHER_OWNER.format(entry=_shown(entry), owner=owner))
        names.setdefault(check_repository(name, "repositories"), None)
    repositories = tuple(names)
    return TokenScope(InstallationTarget(owner, repositories[0]), repositories, permissions)


class MainInputs(NamedTuple):
    """Everything the main step needs, validated.

    ``issuer`` is the JWT ``iss`` (client ID or app ID) and ``issuer_input`` the input
    it came from; ``private_key`` is the raw text (parsed later by ``private_key``).
    """

    issuer: str
    issuer_input: str
    private_key: str
    scope: TokenScope
    api_url: str
    skip_token_revoke: bool
    ca_bundle: str | None = None
    installation_id: int | None = None
    bot_identity: bool = False

    def __repr__(self) -> str:  # never show the private key
        return f"MainInputs(issuer={self.issuer!r}, scope={self.scope!r}, api_url={self.api_url!r})"


def parse_issuer(env: Mapping[str, str]) -> tuple[str, str]:
    """Return ``(issuer, input name)``: ``client-id`` when set, else ``app-id``."""
    client_id = get_input(env, "client-id")
    if client_id:
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", client_id):
            raise InputError(messages.BAD_CLIENT_ID.format(value=_shown(client_id, 30)))
        return client_id, "client-id"
    app_id = get_input(env, "app-id")
    if app_id:
        if not re.fullmatch(r"[0-9]{1,20}", app_id):
            hint = " It looks like a client ID: pass it as client-id." if app_id.startswith("Iv") else ""
            raise InputError(messages.BAD_APP_ID.format(value=_shown(app_id, 30), hint=hint))
        return app_id, "app-id"
    raise InputError(messages.MISSING_APP_ID)


def parse_main_inputs(env: Mapping[str, str]) -> MainInputs:
    """Read and check every input of the main step. Raises InputError."""
    issuer, issuer_input = parse_issuer(env)
    private_key = env.get(input_variable("private-key"), "")
    if not private_key.strip():
        raise InputError(messages.MISSING_PRIVATE_KEY)
    return MainInputs(
        issuer=issuer,
        issuer_input=issuer_input,
        private_key=private_key,
        scope=resolve_scope(env),
        api_url=parse_api_url(env),
        skip_token_revoke=parse_bool(env, "skip-token-revoke"),
        ca_bundle=resolve_ca_bundle(env),
        installation_id=parse_installation_id(env),
        bot_identity=parse_bool(env, "bot-identity"),
    )


def parse_installation_id(env: Mapping[str, str]) -> int | None:
    """The ``installation-id`` input as an int, or None when unset. Raises InputError."""
    value = get_input(env, "installation-id")
    if not value:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,18}", value):
        raise InputError(messages.BAD_INSTALLATION_ID.format(value=_shown(value, 30)))
    return int(value)
