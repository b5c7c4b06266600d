"""``github-app-token``: the core (:mod:`github_app_token.core`) as a command-line tool, for other CI systems.

Subcommands: ``create`` (print installation access tokens), ``revoke`` and ``installations``;
``setup`` (:mod:`github_app_token.setup`, left out of the action's image) registers an app.
Options mirror the action's inputs and go through the same parsing, so errors read the same.
Exit codes: 0 success, 2 bad input, 3 GitHub refused, 4 GitHub unreachable
(see :mod:`github_app_token.errors`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .errors import ActionError, InputError

if TYPE_CHECKING:
    from .github_api import GitHubAPI

EPILOG = """exit codes: 0 success, 2 bad input, 3 GitHub refused the request, 4 GitHub unreachable.
The private key comes from --private-key-file (a path, or - for standard input) or from the
environment variable named by --private-key-env (default GITHUB_APP_PRIVATE_KEY). An app JWT
signed elsewhere (a KMS, an HSM, Vault) replaces the key: --app-jwt-file or --app-jwt-env."""


def _add_app_options(parser: argparse.ArgumentParser) -> None:
    app = parser.add_argument_group("the GitHub App")
    app.add_argument("--client-id", help="the app's client ID (preferred over --app-id)")
    app.add_argument("--app-id", help="the app's numeric app ID")
    app.add_argument(
        "--private-key-file", metavar="PATH", help="the app's PEM private key file; - reads standard input"
    )
    app.add_argument(
        "--private-key-env",
        metavar="VAR",
        default="GITHUB_APP_PRIVATE_KEY",
        help="environment variable holding the PEM private key (default: %(default)s)",
    )
    app.add_argument(
        "--app-jwt-file",
        metavar="PATH",
        help="an app JWT signed elsewhere, instead of the key (no ID needed); - reads standard input",
    )
    app.add_argument("--app-jwt-env", metavar="VAR", help="environment variable holding an app JWT signed elsewhere")


def _add_api_options(parser: argparse.ArgumentParser) -> None:
    api = parser.add_argument_group("GitHub")
    api.add_argument(
        "--api-url",
        help="REST API URL, e.g. https://HOST/api/v3 (default: $GITHUB_API_URL or https://api.github.com)",
    )
    api.add_argument("--ca-bundle", metavar="PATH", help="CA certificates (PEM) for a private CA")


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, description: str
) -> argparse.ArgumentParser:
    """A subcommand with the shared epilog (exit codes, where the key comes from)."""
    return commands.add_parser(
        name, help=summary, description=description, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="github-app-token",
        description="Create, revoke and inspect GitHub App installation access tokens.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    create = _command(
        commands,
        "create",
        "create installation access tokens (one per owner) and print them",
        "Create an installation access token (valid for one hour) for each owner, and print it on standard output.",
    )
    _add_app_options(create)
    scope = create.add_argument_group("what the token covers (as the action's inputs)")
    scope.add_argument(
        "--owner",
        action="append",
        default=[],
        help="user or organization of an installation; alone: all its repositories (repeatable: a token each)",
    )
    scope.add_argument(
        "--repositories", help="repository names, or owner/name for several owners, separated by commas or newlines"
    )
    scope.add_argument(
        "--repository-ids", metavar="IDS", help="numeric repository IDs, separated by commas (one owner)"
    )
    scope.add_argument(
        "--permission",
        action="append",
        default=[],
        metavar="NAME=LEVEL",
        help="request a permission, e.g. contents=read or pull-requests=write (repeatable)",
    )
    scope.add_argument("--installation-id", help="the installation's ID, to skip the lookup")
    scope.add_argument("--enterprise", help="an enterprise installation's enterprise slug")
    _add_api_options(create)
    create.add_argument(
        "--json",
        action="store_true",
        help="print the token and its details as JSON; with several owners, the action's 'tokens' and "
        "'installations' outputs",
    )

    revoke = _command(
        commands,
        "revoke",
        "revoke installation access tokens",
        "Revoke installation access tokens (DELETE /installation/token).",
    )
    revoke.add_argument(
        "--token-env",
        metavar="VAR",
        default="GITHUB_APP_TOKEN",
        help="environment variable holding the token (default: %(default)s); without it, standard input "
        "(one token per line)",
    )
    _add_api_options(revoke)

    installations = _command(
        commands,
        "installations",
        "list the app's installations",
        "List the app's installations: id, account, account type and repository selection.",
    )
    _add_app_options(installations)
    _add_api_options(installations)
    installations.add_argument("--json", action="store_true", help="print the installations as JSON")
    _add_setup(commands)
    return parser


NOT_IN_IMAGE = (
    "the setup command is not part of the action's image; run it where you work: "
    "pipx run github-app-token setup ... (or pip install github-app-token)."
)


def _add_setup(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``setup`` subcommand, or where its package is left out (the action's image) a stand-in."""
    try:
        from .setup.options import add_parser
    except ImportError:
        # Every argument (--help too) is taken as it is, so that the command says the one thing it can.
        stand_in = commands.add_parser(
            "setup", help="not part of this installation", add_help=False, prefix_chars="\x01"
        )
        stand_in.add_argument("rest", nargs="*")
        return
    add_parser(commands.add_parser)


def _setup(args: argparse.Namespace, environ: dict[str, str], stdout: TextIO, stderr: TextIO) -> int:
    try:
        from .setup.command import main as setup
    except ImportError:
        stderr.write(f"error: {NOT_IN_IMAGE}\n")
        return 2
    return setup(args, environ, stdout, stderr)


def _read_file(option: str, path: str, stdin: TextIO) -> str:
    if path == "-":
        return stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a text file"
        raise InputError(f"Cannot read {option} '{path}': {reason}.") from None


def _credentials(args: argparse.Namespace, environ: dict[str, str], stdin: TextIO) -> tuple[str, str]:
    """``(input name, value)``: the app JWT when one is given, else the private key."""
    if args.app_jwt_file:
        return "app-jwt", _read_file("--app-jwt-file", args.app_jwt_file, stdin)
    if args.app_jwt_env:
        value = environ.get(args.app_jwt_env, "")
        if not value.strip():
            raise InputError(f"--app-jwt-env names {args.app_jwt_env}, which is not set or empty.")
        return "app-jwt", value
    if args.private_key_file:
        return "private-key", _read_file("--private-key-file", args.private_key_file, stdin)
    value = environ.get(args.private_key_env, "")
    if not value.strip():
        raise InputError(
            f"No private key: give --private-key-file PATH (or - for standard input), or set "
            f"{args.private_key_env} to the PEM key; or give an app JWT with --app-jwt-file or --app-jwt-env."
        )
    return "private-key", value


def to_inputs(args: argparse.Namespace, environ: dict[str, str], stdin: TextIO) -> dict[str, str]:
    """The options as the runner's ``INPUT_*`` environment, plus the process's ``GITHUB_*``."""
    env = {k: v for k, v in environ.items() if k.startswith(("GITHUB_", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"))}

    def put(name: str, value: str | None) -> None:
        if value:
            env["INPUT_" + name.upper()] = value

    for name in ("client-id", "app-id", "repositories", "repository-ids", "installation-id", "enterprise", "ca-bundle"):
        put(name, getattr(args, name.replace("-", "_"), None))
    put("owner", "\n".join(getattr(args, "owner", None) or ()))
    put("github-api-url", args.api_url)
    if args.command in ("create", "installations"):
        put(*_credentials(args, environ, stdin))
    for item in getattr(args, "permission", []):
        name, sep, level = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--permission takes NAME=LEVEL (e.g. contents=read), not '{item[:40]}'.")
        put("permission-" + name.strip().replace("_", "-"), level.strip())
    return env


def _api(env: dict[str, str]) -> GitHubAPI:
    from .github_api import GitHubAPI
    from .inputs import parse_api_url, resolve_ca_bundle

    return GitHubAPI(
        parse_api_url(env), log=lambda line: print(line, file=sys.stderr), ca_bundle=resolve_ca_bundle(env)
    )


def _create(env: dict[str, str], as_json: bool, out: TextIO) -> None:
    from . import report
    from .core import clock_note, mint, request_for
    from .inputs import parse_main_inputs

    request = request_for(parse_main_inputs(env), env.get("GITHUB_SERVER_URL", ""))
    api = _api(env)
    try:
        minted = mint(request, api)
    finally:
        api.close()
    if note := clock_note(request.signer):
        print(f"warning: {note}", file=sys.stderr)
    if len(minted) > 1:
        if as_json:
            tokens = {item.owner: item.token.token for item in minted}
            installations = {item.owner: report.installation_details(item) for item in minted}
            out.write(json.dumps({"tokens": tokens, "installations": installations}, indent=2) + "\n")
        else:
            out.write("".join(f"{item.owner}\t{item.token.token}\n" for item in minted))
        return
    (only,) = minted
    if as_json:
        details = {"token": only.token.token, **report.installation_details(only)}
        out.write(json.dumps(details, indent=2) + "\n")
    else:
        out.write(only.token.token + "\n")


def _revoke(env: dict[str, str], args: argparse.Namespace, environ: dict[str, str], stdin: TextIO, out: TextIO) -> None:
    from .core import revoke

    given = environ.get(args.token_env, "").strip() or stdin.read().strip()
    tokens = [line.strip() for line in given.splitlines() if line.strip()]
    if not tokens:
        raise InputError(f"No token to revoke: set {args.token_env} or pass the token on standard input.")
    api = _api(env)
    try:
        problems = revoke(api, tokens)
    finally:
        api.close()
    failed = [problem for problem in problems if problem is not None]
    if failed:
        raise failed[0]
    out.write("revoked\n" * len(tokens))


def _installations(env: dict[str, str], as_json: bool, out: TextIO) -> None:
    from .core import signer_for
    from .inputs import get_input, input_variable, parse_issuer

    app_jwt = get_input(env, "app-jwt")
    issuer = "" if app_jwt else parse_issuer(env)[0]
    who = signer_for(app_jwt, issuer, env.get(input_variable("private-key"), ""))
    api = _api(env)
    try:
        found = api.list_installations(who)
    finally:
        api.close()
    if as_json:
        out.write(json.dumps([item._asdict() for item in found], indent=2) + "\n")
        return
    out.write(f"{'ID':>12}  {'ACCOUNT':<30} {'TYPE':<13} REPOSITORIES\n")
    for item in found:
        out.write(f"{item.id:>12}  {item.account_login:<30} {item.target_type:<13} {item.repository_selection}\n")


def main(
    argv: Sequence[str] | None = None,
    environ: dict[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; return the exit code. Errors go to stderr as one line."""
    environ = dict(os.environ if environ is None else environ)
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    if args.command == "setup":
        return _setup(args, environ, stdout, stderr)
    try:
        env = to_inputs(args, environ, stdin)
        if args.command == "create":
            _create(env, args.json, stdout)
        elif args.command == "revoke":
            _revoke(env, args, environ, stdin, stdout)
        else:
            _installations(env, args.json, stdout)
    except ActionError as error:
        stderr.write(f"error: {error}\n")
        return error.exit_code
    except Exception as error:  # noqa: BLE001 - one line, no traceback that could carry a secret
        stderr.write(f"error: unexpected {type(error).__name__}; please report it\n")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
