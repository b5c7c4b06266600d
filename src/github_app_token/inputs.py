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
from .errors import InputError, MissingCredentials
from .names import ACTION_NAMES, Names
from .permission_levels import PERMISSION_LEVELS
from .redaction import NOT_SHOWN, looks_secret

DEFAULT_API_URL = "https://api.github.com"
PERMISSION_PREFIX = "permission-"
#: The create-token operation accepts at most this many repositories (names and IDs together).
MAX_REPOSITORIES = 500
#: Owners one step mints tokens for (each costs two requests; GitHub limits requests per minute).
MAX_OWNERS = 20

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
# Owner (user or organization login) and repository names, as GitHub allows them.
# Logins: letters, digits, hyphens; managed users add "_shortcode". Repositories also
# allow "." and "_". Neither may hold "/", "%", whitespace or control characters.
_OWNER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,98}[A-Za-z0-9])?")
_REPOSITORY_RE = re.compile(r"[A-Za-z0-9._-]{1,100}")


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
    raise InputError(messages.BAD_BOOLEAN.format(name=name, value=shown(value)))


def shown(value: str, limit: int = 60) -> str:
    """A user value made safe to quote in one log line: escaped, and shortened; a value shaped like
    a secret (a key, a token, a JWT given in the wrong input) is not shown at all."""
    if looks_secret(value):
        return NOT_SHOWN
    text = value.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_loopback(host: str) -> bool:
    """True for ``localhost`` exactly, or a loopback IP address (127.0.0.0/8, ``::1``): hosts where
    plain http never leaves the machine. ``127.0.0.1.nip.io`` or ``127.attacker.example`` are not."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_api_url(env: Mapping[str, str], names: Names = ACTION_NAMES) -> str:
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
        raise InputError(
            messages.BAD_API_URL.format(value=shown(url), why="it is not a valid URL", inputs=names)
        ) from None
    why = ""
    if parts.scheme not in ("https", "http") or not host:
        why = "it must start with https:// and name a host"
    elif parts.scheme == "http" and not is_loopback(host):
        why = "plain http is only allowed for a loopback host; use https://"
    elif parts.username is not None or parts.password is not None:
        why = "it must not contain credentials"
    elif parts.query or parts.fragment or "?" in url or "#" in url:
        why = "it must not contain a query (?) or a fragment (#)"
    elif any(ch.isspace() or ord(ch) < 32 for ch in url):
        why = "it must not contain whitespace or control characters"
    if why:
        # Never echo a URL that may carry credentials.
        quoted = "(not shown: it contains credentials)" if "credentials" in why else shown(url)
        raise InputError(messages.BAD_API_URL.format(value=quoted, why=why, inputs=names))
    return url


def resolve_ca_bundle(env: Mapping[str, str], names: Names = ACTION_NAMES) -> str | None:
    """Return the path of the CA bundle to verify GitHub's certificate with, or None for the default.

    From the ``ca-bundle`` input (PEM text, written to a file under ``RUNNER_TEMP``, or a
    path, relative paths from the workspace), else ``REQUESTS_CA_BUNDLE``,
    ``SSL_CERT_FILE`` or ``CURL_CA_BUNDLE`` when they name a file. Raises InputError for
    a missing file or text that holds no certificate.
    """
    value = get_input(env, "ca-bundle")
    if value.startswith("-----BEGIN"):
        if "-----BEGIN CERTIFICATE-----" not in value:
            raise InputError(messages.BAD_CA_BUNDLE.format(inputs=names))
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
            raise InputError(messages.CA_BUNDLE_NOT_FOUND.format(value=shown(value), inputs=names))
        return path
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        path = env.get(variable, "").strip()
        if path and os.path.isfile(path):
            return path
    return None


def check_owner(owner: str, source: str) -> str:
    """Return ``owner`` if it is a valid GitHub login, else raise InputError naming ``source`` (as written)."""
    if not _OWNER_RE.fullmatch(owner) or looks_secret(owner):  # a pasted token is no login, though it may match
        raise InputError(messages.BAD_OWNER.format(source=source, value=shown(owner)))
    return owner


def check_repository(name: str, source: str) -> str:
    """Return repository ``name`` if GitHub allows it, else raise InputError naming ``source`` (as written)."""
    if not _REPOSITORY_RE.fullmatch(name) or name in (".", "..") or ".." in name or looks_secret(name):
        raise InputError(messages.BAD_REPOSITORY.format(source=source, value=shown(name)))
    return name


def split_list(value: str) -> list[str]:
    """Split on commas and newlines; trim entries, drop empty ones and duplicates, keep order."""
    seen: dict[str, None] = {}
    for item in re.split(r"[,\n]", value):
        item = item.strip()
        if item:
            seen.setdefault(item, None)
    return list(seen)


def parse_permissions(env: Mapping[str, str], names: Names = ACTION_NAMES) -> dict[str, str]:
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

            bare = name.removeprefix("permissions_").removeprefix("permission_")  # the prefix typed twice
            close = [bare] if bare in PERMISSION_LEVELS else difflib.get_close_matches(name, PERMISSION_LEVELS, n=3)
            hint = " or ".join(names.permission(c) for c in close)
            raise InputError(
                messages.UNKNOWN_PERMISSION.format(
                    input=names.permission(shown(name)), hint=f" Did you mean {hint}?" if hint else "", inputs=names
                )
            )
        if level not in allowed:
            raise InputError(
                messages.BAD_PERMISSION_LEVEL.format(
                    input=names.permission(name), value=shown(env[variable].strip()), allowed=", ".join(allowed)
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
    """What one owner's token is for: the installation lookup and the body of the create request.

    ``target.owner`` is the owner exactly as the inputs wrote it (the key of the ``tokens``
    output). ``repositories`` is ``None`` for every repository the installation can reach
    (unless ``repository_ids`` names some); ``permissions`` is empty for every permission of
    the installation. Source: ``POST /app/installations/{installation_id}/access_tokens``.
    """

    target: InstallationTarget
    repositories: tuple[str, ...] | None
    permissions: dict[str, str]
    repository_ids: tuple[int, ...] = ()

    def request_body(self) -> dict[str, object]:
        """The JSON body of ``POST /app/installations/{id}/access_tokens``."""
        body: dict[str, object] = {}
        if self.repositories is not None:
            body["repositories"] = list(self.repositories)
        if self.repository_ids:
            body["repository_ids"] = list(self.repository_ids)
        if self.permissions:
            body["permissions"] = dict(self.permissions)
        return body


def parse_repository_ids(env: Mapping[str, str], names: Names = ACTION_NAMES) -> tuple[int, ...]:
    """The ``repository-ids`` input: numeric IDs, comma- or newline-separated. Raises InputError."""
    ids: dict[int, None] = {}
    for item in split_list(get_input(env, "repository-ids")):
        if not re.fullmatch(r"[1-9][0-9]{0,18}", item):
            raise InputError(messages.BAD_REPOSITORY_ID.format(value=shown(item, 30), inputs=names))
        ids.setdefault(int(item), None)
    return tuple(ids)


def _owners(env: Mapping[str, str], names: Names) -> list[str]:
    """The ``owner`` input as a list: as written, checked, without case-insensitive duplicates."""
    seen: dict[str, str] = {}
    for owner in split_list(get_input(env, "owner")):
        seen.setdefault(check_owner(owner, names["owner"]).casefold(), owner)
    if len(seen) > MAX_OWNERS:
        raise InputError(messages.TOO_MANY_OWNERS.format(count=len(seen), limit=MAX_OWNERS, inputs=names))
    return list(seen.values())


def _current_repository(env: Mapping[str, str], names: Names) -> tuple[str, str]:
    current = env.get("GITHUB_REPOSITORY", "").strip()
    if not current:
        raise InputError(messages.MISSING_GITHUB_REPOSITORY.format(inputs=names))
    owner, _, name = current.partition("/")
    return check_owner(owner, "GITHUB_REPOSITORY"), check_repository(name, "GITHUB_REPOSITORY")


def _current_owner(env: Mapping[str, str], names: Names) -> str:
    owner = env.get("GITHUB_REPOSITORY_OWNER", "").strip()
    if not owner:
        raise InputError(messages.MISSING_GITHUB_REPOSITORY_OWNER.format(inputs=names))
    return check_owner(owner, "GITHUB_REPOSITORY_OWNER")


def _quoted(owners: list[str]) -> str:
    return ", ".join(f"'{owner}'" for owner in owners)


def resolve_scopes(env: Mapping[str, str], names: Names = ACTION_NAMES) -> tuple[TokenScope, ...]:
    """Apply the scope rules of ``owner``, ``repositories`` and ``repository-ids``: one scope per owner.

    With one owner these are actions/create-github-app-token's rules:

    ====== ============ ============================================= ===================
    owner  repositories lookup                                        token repositories
    ====== ============ ============================================= ===================
    unset  unset        ``/repos/{GITHUB_REPOSITORY}/installation``   the current one
    set    unset        ``/users/{owner}/installation``               all
    unset  set          ``/repos/{GITHUB_REPOSITORY_OWNER}/{first}``  those listed
    set    set          ``/repos/{owner}/{first}/installation``       those listed
    ====== ============ ============================================= ===================

    ``owner`` may list several owners, and ``repositories`` may name ``owner/repo`` entries of
    several owners: each owner gets its own scope, in the order first written. A bare name
    belongs to the one owner in play, and is an error when there are several; when both inputs
    are given, every owner listed needs at least one repository. ``repository-ids`` go to the one
    owner in play (IDs carry no owner); alone, the installation is looked up by owner. With
    ``enterprise`` set (and none of the others): ``/enterprises/{enterprise}/installation``, every
    repository. Raises InputError for a bad name, a repository of an owner not listed, more than
    :data:`MAX_REPOSITORIES` repositories for one owner or :data:`MAX_OWNERS` owners, or a missing
    ``GITHUB_REPOSITORY``/``GITHUB_REPOSITORY_OWNER``.
    """
    owners = _owners(env, names)
    entries = split_list(get_input(env, "repositories"))
    ids = parse_repository_ids(env, names)
    permissions = parse_permissions(env, names)
    enterprise = get_input(env, "enterprise")

    if enterprise:
        if owners or entries or ids:
            raise InputError(messages.ENTERPRISE_WITH_SCOPE.format(inputs=names))
        check_owner(enterprise, names["enterprise"])
        return (TokenScope(InstallationTarget(enterprise, None, enterprise), None, permissions),)

    if not owners and not entries and not ids:
        owner, name = _current_repository(env, names)
        return (TokenScope(InstallationTarget(owner, name), (name,), permissions),)

    # Each entry's owner (None for a bare name) and name, checked.
    parsed: list[tuple[str | None, str]] = []
    for entry in entries:
        written_owner, slash, name = entry.rpartition("/")
        checked_owner = check_owner(written_owner, names["repositories"]) if slash else None
        parsed.append((checked_owner, check_repository(name, names["repositories"])))
    bare = [name for entry_owner, name in parsed if entry_owner is None]

    if owners:
        in_play = owners
        listed = {owner.casefold() for owner in owners}
        for (entry_owner, _), entry in zip(parsed, entries, strict=True):
            if entry_owner is not None and entry_owner.casefold() not in listed:
                raise InputError(
                    messages.REPOSITORY_OF_OTHER_OWNER.format(entry=shown(entry), owners=_quoted(owners), inputs=names)
                )
        if bare and len(owners) > 1:
            raise InputError(
                messages.BARE_REPOSITORY_SEVERAL_OWNERS.format(name=bare[0], owners=_quoted(owners), inputs=names)
            )
    else:
        # Owners come from the owner/repo entries; bare names, and IDs alone, belong to the current owner.
        current = _current_owner(env, names) if bare or not entries else None
        spelled: dict[str, str] = {}
        for entry_owner, _ in parsed or [(None, "")]:
            spelling = entry_owner or str(current)
            spelled.setdefault(spelling.casefold(), spelling)
        in_play = list(spelled.values())
        if current is not None and bare and len(in_play) > 1:
            other = next(
                e for (o, _), e in zip(parsed, entries, strict=True) if o and o.casefold() != current.casefold()
            )
            message = messages.BARE_REPOSITORY_WITH_OTHER_OWNER
            raise InputError(message.format(entry=shown(other), owner=current, name=bare[0], inputs=names))
    if ids and len(in_play) > 1:
        raise InputError(messages.REPOSITORY_IDS_NEED_ONE_OWNER.format(owners=_quoted(in_play), inputs=names))

    scopes = []
    for owner in in_play:
        repository_names = list(
            dict.fromkeys(name for entry_owner, name in parsed if (entry_owner or owner).casefold() == owner.casefold())
        )
        if entries and not repository_names:
            raise InputError(messages.OWNER_WITHOUT_REPOSITORIES.format(owner=owner, inputs=names))
        if len(repository_names) + len(ids) > MAX_REPOSITORIES:
            raise InputError(
                messages.TOO_MANY_REPOSITORIES.format(
                    count=len(repository_names) + len(ids), limit=MAX_REPOSITORIES, inputs=names
                )
            )
        target = InstallationTarget(owner, repository_names[0] if repository_names else None)
        scopes.append(TokenScope(target, tuple(repository_names) if repository_names else None, permissions, ids))
    return tuple(scopes)


def resolve_scope(env: Mapping[str, str], names: Names = ACTION_NAMES) -> TokenScope:
    """The scope when the inputs name one owner (see :func:`resolve_scopes`); InputError for several."""
    scopes = resolve_scopes(env, names)
    if len(scopes) > 1:
        raise InputError(messages.SEVERAL_OWNERS.format(owners=_quoted([s.target.owner for s in scopes])))
    return scopes[0]


class MainInputs(NamedTuple):
    """Everything the main step needs, validated.

    Who signs: ``private_key`` (raw text, parsed later by ``private_key``) with ``issuer`` (the
    JWT ``iss``: client ID or app ID) from the input ``issuer_input``; or ``app_jwt``, an app
    JWT signed elsewhere (read later by ``app_jwt``), when ``issuer`` and ``private_key`` are
    empty. ``scopes`` holds one scope per owner, in input order. ``names`` is how messages name
    the inputs (the action's, or the CLI's options).
    """

    issuer: str
    issuer_input: str
    private_key: str
    scopes: tuple[TokenScope, ...]
    api_url: str
    skip_token_revoke: bool
    ca_bundle: str | None = None
    installation_id: int | None = None
    bot_identity: bool = False
    app_jwt: str = ""
    names: Names = ACTION_NAMES
    lifetime: str = "hour"
    lifetime_fallback: str = "hour"
    lifetime_limit_minutes: int = 360

    def __repr__(self) -> str:  # never show the private key or the app JWT
        return f"MainInputs(issuer={self.issuer!r}, scopes={self.scopes!r}, api_url={self.api_url!r})"


def parse_issuer(env: Mapping[str, str], names: Names = ACTION_NAMES) -> tuple[str, str]:
    """Return ``(issuer, input name)``: ``client-id`` when set, else ``app-id``. Raises InputError."""
    client_id = get_input(env, "client-id")
    if client_id:
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", client_id):
            raise InputError(messages.BAD_CLIENT_ID.format(value=shown(client_id, 30), inputs=names))
        return client_id, "client-id"
    app_id = get_input(env, "app-id")
    if app_id:
        if not re.fullmatch(r"[0-9]{1,20}", app_id):
            hint = f" It looks like a client ID: pass it as {names['client-id']}." if app_id.startswith("Iv") else ""
            raise InputError(messages.BAD_APP_ID.format(value=shown(app_id, 30), hint=hint, inputs=names))
        return app_id, "app-id"
    raise MissingCredentials(messages.MISSING_APP_ID.format(inputs=names))


def parse_main_inputs(env: Mapping[str, str], names: Names = ACTION_NAMES) -> MainInputs:
    """Read and check every input of the main step. Raises InputError.

    Either ``app-jwt`` (then no key, client ID or app ID is needed) or ``private-key`` with
    ``client-id`` or ``app-id``. The boolean inputs are checked first, all alike, so that a bad
    ``skip-without-credentials`` is refused rather than read as false.
    """
    skip_token_revoke = parse_bool(env, "skip-token-revoke")
    bot_identity = parse_bool(env, "bot-identity")
    parse_bool(env, "skip-without-credentials")
    lifetime = parse_choice(env, "lifetime", ("hour", "job"))
    lifetime_fallback = parse_choice(env, "lifetime-fallback", ("hour", "fail"))
    lifetime_limit = parse_limit(env)
    if lifetime == "job" and skip_token_revoke:
        raise InputError(messages.LIFETIME_WITHOUT_REVOKE)
    app_jwt = get_input(env, "app-jwt")
    private_key = env.get(input_variable("private-key"), "")
    reason = missing_credentials_reason(env) if names.is_action else ""
    if app_jwt:
        if private_key.strip():
            raise InputError(messages.APP_JWT_AND_PRIVATE_KEY.format(inputs=names))
        issuer, issuer_input = "", "app-jwt"
    else:
        try:
            issuer, issuer_input = parse_issuer(env, names)
        except MissingCredentials as error:
            if reason == messages.NO_SECRETS_OTHERWISE:  # the ID is a variable, not a secret
                reason = messages.NO_VARIABLE_OTHERWISE
            raise MissingCredentials(str(error) + reason) from None
        if not private_key.strip():
            raise MissingCredentials(messages.MISSING_PRIVATE_KEY + reason)
    scopes = resolve_scopes(env, names)
    installation_id = parse_installation_id(env, names)
    if installation_id is not None and len(scopes) > 1:
        raise InputError(messages.INSTALLATION_ID_SEVERAL_OWNERS.format(inputs=names))
    return MainInputs(
        issuer=issuer,
        issuer_input=issuer_input,
        private_key=private_key,
        scopes=scopes,
        api_url=parse_api_url(env, names),
        skip_token_revoke=skip_token_revoke,
        ca_bundle=resolve_ca_bundle(env, names),
        installation_id=installation_id,
        bot_identity=bot_identity,
        app_jwt=app_jwt,
        names=names,
        lifetime=lifetime,
        lifetime_fallback=lifetime_fallback,
        lifetime_limit_minutes=lifetime_limit,
    )


#: The longest a broker may run: a self-hosted runner's job limit (5 days).
MAX_LIFETIME_MINUTES = 7200


def parse_choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """Input ``name`` as one of ``allowed`` (any case); the first when empty. Raises InputError."""
    value = get_input(env, name)
    if not value:
        return allowed[0]
    if value.lower() not in allowed:
        raise InputError(messages.BAD_CHOICE.format(name=name, allowed=", ".join(allowed), value=shown(value, 30)))
    return value.lower()


def parse_limit(env: Mapping[str, str]) -> int:
    """``lifetime-limit-minutes``: 1 to :data:`MAX_LIFETIME_MINUTES` (360 when empty). Raises InputError."""
    value = get_input(env, "lifetime-limit-minutes")
    if not value:
        return 360
    if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= MAX_LIFETIME_MINUTES:
        raise InputError(messages.BAD_LIMIT.format(limit=MAX_LIFETIME_MINUTES, value=shown(value, 30)))
    return int(value)


FORK_EVENTS = frozenset({"pull_request", "pull_request_review", "pull_request_review_comment"})


def missing_credentials_reason(env: Mapping[str, str]) -> str:
    """Why a run most likely got no secret, from its context (" ..." to append, or "" outside Actions).

    A pull request from a fork (``GITHUB_EVENT_NAME`` and the event payload at
    ``GITHUB_EVENT_PATH``: the head repository is not ``GITHUB_REPOSITORY``), a Dependabot run
    (``GITHUB_ACTOR``), else the usual suspects, a reusable workflow not passed the secret first.
    Source: GitHub Docs, "Using secrets in GitHub Actions" and "Automating Dependabot with GitHub Actions".
    """
    if env.get("GITHUB_ACTIONS") != "true":
        return ""
    if env.get("GITHUB_EVENT_NAME", "") in FORK_EVENTS:
        import json  # only on this failure path

        try:
            with open(env.get("GITHUB_EVENT_PATH", ""), encoding="utf-8") as handle:
                event = json.load(handle)
            head = str(event["pull_request"]["head"]["repo"]["full_name"])
        except (OSError, ValueError, KeyError, TypeError):
            head = ""
        if head and head.casefold() != env.get("GITHUB_REPOSITORY", "").casefold():
            return messages.NO_SECRETS_FORK.format(fork=shown(head))
    if env.get("GITHUB_ACTOR", "") == "dependabot[bot]":
        return messages.NO_SECRETS_DEPENDABOT
    return messages.NO_SECRETS_OTHERWISE


def parse_installation_id(env: Mapping[str, str], names: Names = ACTION_NAMES) -> int | None:
    """The ``installation-id`` input as an int, or None when unset. Raises InputError."""
    value = get_input(env, "installation-id")
    if not value:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,18}", value):
        raise InputError(messages.BAD_INSTALLATION_ID.format(value=shown(value, 30), inputs=names))
    return int(value)
