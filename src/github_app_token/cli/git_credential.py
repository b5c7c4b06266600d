"""``github-app-token git-credential``: a git credential helper that mints installation access tokens.

For other CI systems, and for macOS and Windows runners, where the action's token broker cannot
run: git asks it for a password (gitcredentials(7), the ``get`` action), and it answers
``username=x-access-token`` and a token of the configured scope, with ``password_expiry_utc``, for
the GitHub instance of ``--api-url`` only (its web host, e.g. ``github.com``; https, or http to a
loopback host); for any other host it says nothing, and git asks its other helpers. Each
token is kept in a cache file of its own (mode 0600; the directories it makes are 0700; in
GitHub Actions under ``$RUNNER_TEMP``), named by a hash of what decides it (API URL, app, scope),
and handed out again while it has :data:`REUSE_MARGIN` (ten minutes of GitHub's hour)
left by its ``expires_at``; then a new one is minted. A cache directory that cannot be used
costs one warning line per call (:data:`CACHE_UNUSABLE`), not git's token. ``erase`` (git's answer to a refused
credential) drops that cached token; ``store`` does nothing. With several owners, the
owner is taken from the URL's path (set ``credential.useHttpPath``); without a path, the first
owner's token is handed out, with a warning line saying to set it (:data:`NO_PATH`). In a GitHub
Actions step each token is masked (``::add-mask::`` on standard error) before it is handed to git.

Configure it with git, e.g. (one line)::

    git config --global credential.https://github.com.helper \
      '!github-app-token git-credential --client-id Iv23li... --private-key-file ~/app.pem --owner my-org'
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..names import Names
from .common import Context, add_api_options, add_app_options, command, make_api, to_inputs

if TYPE_CHECKING:
    from ..core import MintRequest
    from ..inputs import TokenScope

#: Seconds a cached token must have left to be handed out again (GitHub's tokens last an hour).
REUSE_MARGIN = 10 * 60

#: The warning for a cache directory that cannot be used: git still gets its token.
#: ``-`` (standard input) for the key or JWT: git's request is what comes on standard input.
STDIN_TAKEN = (
    "{option} - cannot be used by a credential helper: git writes its request on standard input. Give "
    "the file's path, or the key in a variable (--private-key-env)."
)
CACHE_UNUSABLE = (
    "The token cache '{path}' (--cache-dir{default}) cannot be used ({reason}), so the token was not kept "
    "and each git command mints a new one: give --cache-dir a directory you can create and write to."
)
#: The warning for several owners when git sends no path: the first owner's token may be the wrong one.
NO_PATH = (
    "Several owners are given (--owner, --repositories) but git sent no repository path, so this is the "
    "first owner's token ('{owner}'), and GitHub answers \"Repository not found\" for another owner's "
    "repository. Make git send the path: git config --global credential.useHttpPath true "
    "(or only for this host: credential.{server}.useHttpPath true)."
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    helper = command(
        commands,
        "git-credential",
        "a git credential helper that mints installation access tokens",
        "A git credential helper (gitcredentials(7)): git runs it with get, store or erase. It answers get "
        "with username=x-access-token and a token for the API's own host, cached until ten minutes before it "
        "expires.",
    )
    helper.add_argument("action", choices=["get", "store", "erase"], help="what git asks (git adds it)")
    add_app_options(helper)
    scope = helper.add_argument_group("what the token covers (as the action's inputs)")
    scope.add_argument("--owner", action="append", default=[], help="an installation's owner (repeatable)")
    scope.add_argument("--repositories", action="append", default=[], help="repository names, or owner/name")
    scope.add_argument("--permission", action="append", default=[], metavar="NAME=LEVEL", help="e.g. contents=write")
    scope.add_argument("--installation-id", help="the installation's ID, to skip the lookup")
    add_api_options(helper)
    helper.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where tokens are kept between git's calls (default: $RUNNER_TEMP in GitHub Actions, else "
        "$XDG_CACHE_HOME or ~/.cache, then github-app-token)",
    )
    helper.set_defaults(run=run)


#: ``host`` as git's credential protocol sends it: a name or a bracketed IPv6 address, then maybe ``:PORT``.
HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]+\]|[^\s/?#@\[\]:]+)(?::(?P<port>[0-9]{1,5}))?")
DEFAULT_PORTS = {"https": 443, "http": 80}


def web_url(env: Mapping[str, str], names: Names) -> str:
    """The web URL of the GitHub instance whose API the options name (``https://github.com`` for
    ``https://api.github.com``, ``https://HOST`` for ``https://HOST/api/v3``; ``GITHUB_SERVER_URL``
    when the API is the runner's own): where its git repositories are. Raises InputError for a bad
    ``--api-url``."""
    from ..core import server_url
    from ..inputs import parse_api_url

    return server_url(env.get("GITHUB_SERVER_URL", ""), parse_api_url(env, names), env.get("GITHUB_API_URL", ""))


def origin(scheme: str, host: str) -> tuple[str, str, int] | None:
    """``(scheme, host name in lower case, port)`` of ``host`` (``NAME[:PORT]``, as in a URL), the
    scheme's port when none is given; None when ``host`` is not one host or the scheme not http(s)."""
    scheme = scheme.lower()
    match = HOST.fullmatch(host)
    if scheme not in DEFAULT_PORTS or match is None:
        return None
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[scheme]
    return scheme, match["name"].strip("[]").lower(), port


def asks_for(description: Mapping[str, str], web: str) -> bool:
    """True when git asks for credentials of the instance at ``web`` (a URL): the same scheme, host
    (case-insensitive) and port (443 and 80 when none is given), and ``https``, or ``http`` to a
    loopback host only. Source: git's credential protocol (``git help credential``: ``protocol``,
    ``host`` with the port when the URL has one)."""
    from ..inputs import is_loopback

    parts = web.partition("://")
    served = origin(parts[0], parts[2].partition("/")[0])
    asked = origin(description.get("protocol", ""), description.get("host", ""))
    if asked is None or asked != served:
        return False
    return asked[0] == "https" or is_loopback(asked[1])


def read_description(text: str) -> dict[str, str]:
    """git's ``key=value`` lines (up to the blank line); later keys win."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition("=")
        if sep:
            found[key.strip()] = value
    return found


def cache_dir(args: argparse.Namespace, environ: Mapping[str, str]) -> Path:
    """Where tokens are kept: ``--cache-dir``; else, in a GitHub Actions job (``GITHUB_ACTIONS`` is
    ``true`` and ``RUNNER_TEMP`` set), ``$RUNNER_TEMP/github-app-token``, which the runner empties
    after the job; else ``$XDG_CACHE_HOME/github-app-token`` or ``~/.cache/github-app-token``."""
    if args.cache_dir:
        return Path(args.cache_dir)
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("RUNNER_TEMP"):
        return Path(environ["RUNNER_TEMP"]) / "github-app-token"
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "github-app-token"


def cache_name(request: MintRequest, scope: TokenScope, api_url: str, env: Mapping[str, str]) -> str:
    """The cache file's name for one token: a hash of everything that decides what it is (the API
    URL, the issuer: client ID, app ID or the app JWT's ``iss``, the scope's owner, repositories
    and permissions, the installation ID, ``GITHUB_REPOSITORY``), so that other options never get
    it, and the name says nothing about them."""
    target = scope.target
    key = {
        "api_url": api_url,
        "issuer": request.signer.issuer,
        "target": [target.owner.casefold(), (target.repository or "").casefold(), target.enterprise or ""],
        "repositories": None if scope.repositories is None else sorted(r.casefold() for r in scope.repositories),
        "repository_ids": sorted(scope.repository_ids),
        "permissions": sorted(scope.permissions.items()),
        "installation_id": request.installation_id,
        "github_repository": env.get("GITHUB_REPOSITORY", ""),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return f"token-{digest[:32]}.json"


def load(path: Path) -> dict[str, Any]:
    """The cached record at ``path`` ({} when there is none, it cannot be read, or it is not a
    regular file of this user's: in a shared ``--cache-dir`` such as /tmp, another user's file, or a
    link, could hand git a token of someone else's choosing)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return {}
    try:
        with os.fdopen(descriptor, encoding="utf-8") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid():
                return {}
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each then chmod 0700 (whatever the umask); a
    directory that exists already, made by the user or another call, is left as it is. Raises
    OSError (NotADirectoryError when a file is in the way)."""
    missing = []
    while not directory.is_dir() and directory.parent != directory:
        missing.append(directory)
        directory = directory.parent
    for made in reversed(missing):
        try:
            made.mkdir(mode=0o700)
        except FileExistsError:
            if made.is_dir():
                continue
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(made)) from None
        made.chmod(0o700)


def save(path: Path, record: Mapping[str, Any]) -> None:
    """Write ``record`` (JSON) to ``path`` at once: into a file of its own in the same directory,
    created 0600 (``tempfile.mkstemp``), then renamed over ``path`` (``os.replace``), so that a
    reader, or another call writing at the same time, never sees half a file. Missing directories
    are made 0700 (:func:`make_private_dirs`). Raises OSError."""
    make_private_dirs(path.parent)
    descriptor, temporary = tempfile.mkstemp(prefix=".token-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def fresh(record: Mapping[str, Any], now: float) -> tuple[str, float] | None:
    """The cached ``(token, expires)`` (epoch seconds, UTC, this machine's clock) when it has at
    least :data:`REUSE_MARGIN` seconds left at ``now``; None: mint a new one."""
    token, expires = record.get("token"), record.get("expires")
    if not isinstance(token, str) or not token.isprintable() or not isinstance(expires, int | float):
        return None
    return (token, float(expires)) if expires - now >= REUSE_MARGIN else None


def run(args: argparse.Namespace, ctx: Context, clock: Callable[[], float] = time.time) -> int:
    """Answer git's ``get``, ``store`` or ``erase`` (``git help credential``); 0, with nothing on
    standard output for a host other than the API's (:func:`asks_for`). ``clock``: now, epoch
    seconds (UTC). Raises ActionError (InputError for the options, GitHubAPIError when minting fails)."""
    from ..core import request_for
    from ..inputs import parse_main_inputs

    if args.action == "store":
        return 0
    for option in ("private_key_file", "app_jwt_file"):
        if getattr(args, option) == "-":
            raise InputError(STDIN_TAKEN.format(option="--" + option.replace("_", "-")))
    description = read_description(ctx.stdin.read())
    web = web_url(*to_inputs(args, ctx, with_credentials=False))
    if not asks_for(description, web):
        return 0  # another host's credentials: git asks its other helpers
    env, names = to_inputs(args, ctx)
    inputs = parse_main_inputs(env, names)
    request = request_for(inputs, env.get("GITHUB_SERVER_URL", ""), env.get("GITHUB_API_URL", ""))
    asked = description.get("path", "").split("/")[0].casefold()
    scope = next((s for s in request.scopes if s.target.owner.casefold() == asked), request.scopes[0])
    if not asked and len(request.scopes) > 1 and args.action == "get":
        # Answered all the same: a repository of the first owner works, as it did before the warning.
        ctx.warn(NO_PATH.format(owner=scope.target.owner, server=web))
    path = cache_dir(args, ctx.environ) / cache_name(request, scope, inputs.api_url, env)
    record = load(path)
    if args.action == "erase":
        # git erases the password it was refused; a token cached since then by another call stays.
        if record and description.get("password", record.get("token")) == record.get("token"):
            try:
                path.unlink()
            except FileNotFoundError:
                pass  # erased meanwhile by another call
            except OSError as error:
                unusable(args, path, error, ctx)
        return 0
    held = fresh(record, clock())
    if held is None:
        held = mint_for(scope, request, env, names, ctx)
        try:
            save(path, {"token": held[0], "expires": held[1]})
        except OSError as error:  # the cache is only a saving: git gets its token all the same
            unusable(args, path, error, ctx)
    answer(ctx, *held)
    return 0


def unusable(args: argparse.Namespace, path: Path, error: OSError, ctx: Context) -> None:
    """Warn (one line on standard error) that the cache directory of ``path`` cannot be used."""
    default = "" if args.cache_dir else "'s default"
    reason = error.strerror or type(error).__name__
    ctx.warn(CACHE_UNUSABLE.format(path=path.parent, default=default, reason=reason))


def mint_for(
    scope: TokenScope, request: MintRequest, env: dict[str, str], names: Names, ctx: Context
) -> tuple[str, float]:
    """A new token of ``scope``: ``(token, expires)``, its ``expires_at`` in epoch seconds (UTC) on
    this machine's clock (GitHub's, less the clock difference its ``Date`` header showed). Raises
    ActionError. Source: ``POST /app/installations/{installation_id}/access_tokens``."""
    from ..core import mint_one

    api = make_api(env, names, ctx)
    try:
        _, token = mint_one(scope, request, api)
    finally:
        api.close()
    return token.token, token.expires_epoch() - api.server_offset


def answer(ctx: Context, token: str, expires: float) -> None:
    """git's answer on standard output (``git help credential``): ``username``, ``password`` and
    ``password_expiry_utc`` (``expires``, epoch seconds, UTC; git 2.41 and later ignore the
    password once it has passed). In a GitHub Actions step the token is masked (``::add-mask::``) first."""
    if ctx.environ.get("GITHUB_ACTIONS") == "true":
        ctx.stderr.write(f"::add-mask::{token}\n")
        ctx.stderr.flush()
    ctx.stdout.write(f"username=x-access-token\npassword={token}\npassword_expiry_utc={int(expires)}\n")
