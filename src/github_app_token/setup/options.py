"""The ``setup`` subcommand's options, and their checks: all before anything is created or asked.

Every refusal is an InputError naming the flag as typed and the fix. Permissions are checked against
:data:`github_app_token.permission_levels.PERMISSION_LEVELS` (GitHub's ``app-permissions`` schema).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import NamedTuple

from ..errors import InputError
from ..inputs import check_owner, check_repository, split_list
from ..permission_levels import PERMISSION_LEVELS
from ..redaction import looks_secret, redact
from . import manifest, messages
from .store import VISIBILITIES

DEFAULT_TIMEOUT = 600.0
DEFAULT_VARIABLE = "APP_CLIENT_ID"
DEFAULT_SECRET = "APP_PRIVATE_KEY"  # noqa: S105 - a secret's name
# Secret and variable names (GitHub Docs, "Using secrets in GitHub Actions": letters, digits and
# underscores, not starting with a digit nor with GITHUB_).
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

DESCRIPTION = """\
Register a GitHub App from a manifest, install it, store its client ID as an Actions variable and
its private key as an Actions secret, and prove that a token can be minted with them.

Steps: 1. check the user token and the options (nothing is created before); 2. register the app
(a local page posts its manifest to GitHub; your browser opens it); 3. install it on --owner;
4. store the credentials (--store, --store-org); 5. mint a token with them and revoke it.
The user token comes from GH_TOKEN or GITHUB_TOKEN (GH_ENTERPRISE_TOKEN or GITHUB_ENTERPRISE_TOKEN
for GitHub Enterprise Server), else from `gh auth token`. It needs the repo scope for --store and
admin:org for --store-org (a fine-grained token: the Secrets and Variables permissions, write)."""

EPILOG = """\
example:
  github-app-token setup --owner my-org --repositories website,docs --permission contents=write \\
      --store my-org/website

exit codes: 0 done, 2 bad input or a refusal before anything was created, 3 GitHub refused a
request, 4 GitHub unreachable, 5 a wait timed out, 130 interrupted (Ctrl-C; 143: SIGTERM while the
token is proven, which is revoked). If a step fails after the app was created, its private key is
saved to a file only you can read (mode 0600), and the command that finishes the job (setup
--existing) is printed. Nothing secret is printed.
More: the README's "Set up in one command" (also on the package's page on PyPI), and docs/setup.md
in the project's repository (every option, message and fix)."""


class Options(NamedTuple):
    """The checked options. ``repositories`` empty: all of the owner's; ``permissions`` ``{name: level}``
    in API order; ``store`` repositories as ``(owner, repo)``; ``timeout`` in seconds."""

    owner: str
    repositories: tuple[str, ...]
    permissions: dict[str, str]
    name: str
    description: str
    homepage_url: str
    public: bool
    store: tuple[tuple[str, str], ...]
    store_org: str
    visibility: str
    store_repositories: tuple[str, ...]
    variable_name: str
    secret_name: str
    existing: bool
    client_id: str
    app_id: str
    private_key_file: str
    github_url: str
    api_url: str
    ca_bundle: str
    timeout: float
    open_browser: bool
    key_dir: str


def add_parser(add: Callable[..., argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register the ``setup`` subcommand; ``add`` is the subparsers' ``add_parser``."""
    parser = add(
        "setup",
        help="register a GitHub App, install it, store its credentials for Actions, prove a token works",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = parser.add_argument_group("what the app and its tokens are for")
    what.add_argument("--owner", required=True, help="the user or organization that installs the app")
    what.add_argument(
        "--repositories", default="", help="repositories of --owner the app must reach, by commas (default: all)"
    )
    what.add_argument(
        "--permission",
        action="append",
        default=[],
        metavar="NAME=LEVEL",
        help="a permission of the app, e.g. contents=write (repeatable; metadata=read is always granted)",
    )
    app = parser.add_argument_group("the new app")
    app.add_argument("--name", default="", help="the app's name, at most 34 characters (default: 'OWNER workflows')")
    app.add_argument("--description", default="", help="the app's description")
    app.add_argument("--homepage-url", default="", metavar="URL", help="the app's homepage (default: the owner's page)")
    app.add_argument("--public", action="store_true", help="let any account install the app (default: only the owner)")
    store = parser.add_argument_group("where the credentials go")
    store.add_argument(
        "--store", action="append", default=[], metavar="OWNER/REPO", help="a repository (repeatable, or commas)"
    )
    store.add_argument("--store-org", default="", metavar="ORG", help="the organization's secrets and variables")
    store.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default="",
        help="which repositories see the organization's: all, private, or selected (default: private, or "
        "selected with --store-repositories)",
    )
    store.add_argument(
        "--store-repositories", default="", metavar="REPOS", help="with --visibility selected: the repositories"
    )
    store.add_argument("--variable-name", default=DEFAULT_VARIABLE, help="variable for the client ID (%(default)s)")
    store.add_argument("--secret-name", default=DEFAULT_SECRET, help="secret for the private key (%(default)s)")
    existing = parser.add_argument_group("an app that exists (skips the registration)")
    existing.add_argument("--existing", action="store_true", help="install, store and prove an existing app")
    existing.add_argument("--client-id", default="", help="its client ID")
    existing.add_argument("--app-id", default="", help="its app ID (when the client ID is not at hand)")
    existing.add_argument("--private-key-file", default="", metavar="PATH", help="its PEM private key file")
    github = parser.add_argument_group("GitHub")
    github.add_argument(
        "--github-url",
        default="",
        metavar="URL",
        help="the web address: https://github.com (default) or https://HOST for GitHub Enterprise Server",
    )
    github.add_argument("--api-url", default="", help="the REST API URL (default: derived from --github-url)")
    github.add_argument("--ca-bundle", default="", metavar="PATH", help="CA certificates (PEM) for a private CA")
    run = parser.add_argument_group("the run")
    run.add_argument(
        "--timeout",
        default="10m",
        help="how long to wait for each step in the browser: seconds, or with s, m or h (default: %(default)s)",
    )
    run.add_argument("--no-browser", action="store_true", help="print the pages to open instead of opening them")
    run.add_argument(
        "--key-dir",
        default=".",
        metavar="DIR",
        help="where the key is saved (mode 0600) if a step fails after the app was created (default: .)",
    )
    return parser


def parse_timeout(value: str) -> float:
    """``600``, ``90s``, ``10m`` or ``1h`` in seconds (more than 0, at most a day); InputError otherwise."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smh]?)\s*", value)
    seconds = float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)] if match else 0.0
    if not 0 < seconds <= 86400:
        raise InputError(messages.BAD_TIMEOUT.format(value=value[:30]))
    return seconds


def parse_permissions(items: list[str]) -> dict[str, str]:
    """``["contents=write", "pull-requests=read"]`` -> ``{"contents": "write", "pull_requests": "read"}``.

    Each item may also hold several, separated by commas. InputError names ``--permission``, the
    permission and what is allowed (with a guess for a near miss).
    """
    found: dict[str, str] = {}
    for item in (part for value in items for part in value.split(",")):
        if not item.strip():
            continue
        name, sep, level = item.partition("=")
        name, level = name.strip().lower().replace("-", "_"), level.strip().lower()
        if not sep or not name or not level:
            raise InputError(messages.BAD_PERMISSION_FORM.format(value=item.strip()[:40]))
        allowed = PERMISSION_LEVELS.get(name)
        if allowed is None:
            import difflib

            close = difflib.get_close_matches(name, PERMISSION_LEVELS, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise InputError(messages.UNKNOWN_PERMISSION.format(name=name[:40], hint=hint))
        if level not in allowed:
            raise InputError(messages.BAD_LEVEL.format(name=name, level=level[:20], allowed=", ".join(allowed)))
        found[name] = level
    return {name: found[name] for name in PERMISSION_LEVELS if name in found}


def _secret_name(flag: str, value: str) -> str:
    name = value.strip()
    if not _NAME_RE.fullmatch(name) or name.upper().startswith("GITHUB_"):
        raise InputError(messages.BAD_STORED_NAME.format(flag=flag, value=name[:40]))
    return name


#: The options whose value a refusal may quote, by their ``args`` attribute (``--description`` is prose,
#: longer than a name; ``--private-key-file`` has its own message).
_QUOTED_OPTIONS = (
    "owner", "repositories", "permission", "name", "homepage_url", "store", "store_org", "store_repositories",
    "variable_name", "secret_name", "client_id", "app_id", "github_url", "api_url", "ca_bundle", "timeout",
    "key_dir",
)  # fmt: skip


def _refuse_pasted_secrets(args: argparse.Namespace) -> None:
    """InputError, naming the option and quoting nothing, for a value shaped like a token, key or JWT."""
    for attribute in _QUOTED_OPTIONS:
        value = getattr(args, attribute, None)
        values = value if isinstance(value, list) else [value]
        if any(isinstance(item, str) and looks_secret(item) for item in values):
            flag = "--" + attribute.replace("_", "-")
            raise InputError(messages.SECRET_IN_OPTION.format(flag=flag))
    if redact(args.description or "") != (args.description or ""):  # prose may be long; a token in it is not
        raise InputError(messages.SECRET_IN_OPTION.format(flag="--description"))


def check(args: argparse.Namespace) -> Options:
    """The options of ``args`` (from :func:`add_parser`), checked. Raises InputError."""
    _refuse_pasted_secrets(args)
    owner = check_owner(args.owner.strip(), "--owner")
    repositories: list[str] = []
    for entry in split_list(args.repositories):
        written_owner, slash, name = entry.rpartition("/")
        if slash and written_owner.casefold() != owner.casefold():
            raise InputError(messages.REPOSITORY_OF_OTHER_OWNER.format(entry=entry[:80], owner=owner))
        repositories.append(check_repository(name, "--repositories"))
    permissions = parse_permissions(args.permission)
    name = manifest.check_name(args.name) if args.name.strip() else manifest.default_name(owner)
    store: list[tuple[str, str]] = []
    for entry in (item for value in args.store for item in split_list(value)):
        store_owner, slash, repo = entry.partition("/")
        if not slash:
            raise InputError(messages.STORE_NOT_A_REPOSITORY.format(value=entry[:80]))
        store.append((check_owner(store_owner, "--store"), check_repository(repo, "--store")))
    store_org = check_owner(args.store_org.strip(), "--store-org") if args.store_org.strip() else ""
    store_repositories = tuple(check_repository(r, "--store-repositories") for r in split_list(args.store_repositories))
    visibility = args.visibility or ("selected" if store_repositories else "private")
    if not store and not store_org:
        raise InputError(messages.NOTHING_TO_STORE.format(owner=owner))
    if (args.visibility or store_repositories) and not store_org:
        raise InputError(messages.VISIBILITY_WITHOUT_ORG)
    if visibility == "selected" and not store_repositories:
        raise InputError(messages.SELECTED_WITHOUT_REPOSITORIES)
    if store_repositories and visibility != "selected":
        raise InputError(messages.REPOSITORIES_NOT_SELECTED.format(visibility=visibility))
    if looks_secret(args.private_key_file):  # before any message could quote it
        raise InputError(messages.KEY_TEXT_NOT_A_PATH)
    given = [flag for flag, value in (("--client-id", args.client_id), ("--app-id", args.app_id)) if value.strip()]
    if args.private_key_file.strip():
        given.append("--private-key-file")
    if args.existing:
        if not given or given == ["--private-key-file"]:
            raise InputError(messages.EXISTING_NEEDS_ID)
        if "--private-key-file" not in given:
            raise InputError(messages.EXISTING_NEEDS_KEY)
        if args.name.strip() or args.public or args.description or args.homepage_url:
            raise InputError(messages.EXISTING_WITH_MANIFEST_OPTIONS)
    elif given:
        raise InputError(messages.ID_WITHOUT_EXISTING.format(flag=given[0]))
    if args.app_id.strip() and not re.fullmatch(r"[0-9]{1,20}", args.app_id.strip()):
        raise InputError(messages.BAD_APP_ID.format(value=args.app_id.strip()[:30]))
    if args.client_id.strip() and not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", args.client_id.strip()):
        raise InputError(messages.BAD_CLIENT_ID.format(value=args.client_id.strip()[:30]))
    return Options(
        owner=owner,
        repositories=tuple(dict.fromkeys(repositories)),
        permissions=permissions,
        name=name,
        description=args.description.strip(),
        homepage_url=args.homepage_url.strip(),
        public=bool(args.public),
        store=tuple(dict.fromkeys(store)),
        store_org=store_org,
        visibility=visibility,
        store_repositories=store_repositories,
        variable_name=_secret_name("--variable-name", args.variable_name),
        secret_name=_secret_name("--secret-name", args.secret_name),
        existing=bool(args.existing),
        client_id=args.client_id.strip(),
        app_id=args.app_id.strip(),
        private_key_file=args.private_key_file.strip(),
        github_url=args.github_url.strip(),
        api_url=args.api_url.strip(),
        ca_bundle=args.ca_bundle.strip(),
        timeout=parse_timeout(args.timeout),
        open_browser=not args.no_browser,
        key_dir=args.key_dir,
    )


def resume_arguments(options: Options) -> list[str]:
    """The options that ``setup --existing`` needs to finish the job for the same owner and stores."""
    words = ["--owner", options.owner]
    if options.repositories:
        words += ["--repositories", ",".join(options.repositories)]
    for name, level in options.permissions.items():
        words += ["--permission", f"{name}={level}"]
    for owner, repo in options.store:
        words += ["--store", f"{owner}/{repo}"]
    if options.store_org:
        words += ["--store-org", options.store_org, "--visibility", options.visibility]
        if options.store_repositories:
            words += ["--store-repositories", ",".join(options.store_repositories)]
    if options.variable_name != DEFAULT_VARIABLE:
        words += ["--variable-name", options.variable_name]
    if options.secret_name != DEFAULT_SECRET:
        words += ["--secret-name", options.secret_name]
    if options.github_url:
        words += ["--github-url", options.github_url]
    if options.api_url:
        words += ["--api-url", options.api_url]
    if options.ca_bundle:
        words += ["--ca-bundle", options.ca_bundle]
    return words
