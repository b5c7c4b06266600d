"""``github-app-token``: the action's core as a command-line tool, for other CI systems.

Subcommands: ``create`` (print an installation access token), ``revoke`` and
``installations``. Options mirror the action's inputs and go through the same parsing,
so errors read the same. Exit codes: 0 success, 2 bad input, 3 GitHub refused,
4 GitHub unreachable (see :mod:`github_app_token.errors`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from . import __version__
from .errors import ActionError, InputError

EPILOG = """exit codes: 0 success, 2 bad input, 3 GitHub refused the request, 4 GitHub unreachable.
The private key comes from --private-key-file (a path, or - for standard input) or from the
environment variable named by --private-key-env (default GITHUB_APP_PRIVATE_KEY)."""


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
        "create an installation access token and print it",
        "Create an installation access token (valid for one hour) and print it on standard output.",
    )
    _add_app_options(create)
    scope = create.add_argument_group("what the token covers (as the action's inputs)")
    scope.add_argument("--owner", help="user or organization of the installation; alone: all its repositories")
    scope.add_argument("--repositories", help="repository names (or owner/name), separated by commas or newlines")
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
    create.add_argument("--json", action="store_true", help="print a JSON object with the token and its details")

    revoke = _command(
        commands,
        "revoke",
        "revoke an installation access token",
        "Revoke an installation access token (DELETE /installation/token).",
    )
    revoke.add_argument(
        "--token-env",
        metavar="VAR",
        default="GITHUB_APP_TOKEN",
        help="environment variable holding the token (default: %(default)s); without it, standard input",
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
    return parser


def _read_key(args: argparse.Namespace, environ: dict[str, str], stdin: TextIO) -> str:
    if args.private_key_file == "-":
        return stdin.read()
    if args.private_key_file:
        try:
            with open(args.private_key_file, encoding="utf-8") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a text file"
            raise InputError(f"Cannot read --private-key-file '{args.private_key_file}': {reason}.") from None
    value = environ.get(args.private_key_env, "")
    if not value.strip():
        raise InputError(
            f"No private key: give --private-key-file PATH (or - for standard input), or set "
            f"{args.private_key_env} to the PEM key."
        )
    return value


def to_inputs(args: argparse.Namespace, environ: dict[str, str], stdin: TextIO) -> dict[str, str]:
    """The options as the runner's ``INPUT_*`` environment, plus the process's ``GITHUB_*``."""
    env = {k: v for k, v in environ.items() if k.startswith(("GITHUB_", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"))}

    def put(name: str, value: str | None) -> None:
        if value:
            env["INPUT_" + name.upper()] = value

    for name in ("client-id", "app-id", "owner", "repositories", "installation-id", "enterprise", "ca-bundle"):
        put(name, getattr(args, name.replace("-", "_"), None))
    put("github-api-url", args.api_url)
    if args.command in ("create", "installations"):
        put("private-key", _read_key(args, environ, stdin))
    for item in getattr(args, "permission", []):
        name, sep, level = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--permission takes NAME=LEVEL (e.g. contents=read), not '{item[:40]}'.")
        put("permission-" + name.strip().replace("_", "-"), level.strip())
    return env


def _create(env: dict[str, str], as_json: bool, out: TextIO) -> None:
    from .app_jwt import AppAuth
    from .github_api import GitHubAPI
    from .inputs import parse_main_inputs
    from .main import create_token
    from .private_key import load_private_key

    inputs = parse_main_inputs(env)
    auth = AppAuth(inputs.issuer, load_private_key(inputs.private_key))
    api = GitHubAPI(inputs.api_url, log=lambda line: print(line, file=sys.stderr), ca_bundle=inputs.ca_bundle)
    try:
        installation, token = create_token(inputs, api, auth, env)
    finally:
        api.close()
    if as_json:
        details = {
            "token": token.token,
            "expires_at": token.expires_at,
            "installation_id": installation.id,
            "app_slug": installation.app_slug,
            "permissions": token.permissions,
            "repositories": list(token.repositories or ()),
        }
        out.write(json.dumps(details, indent=2) + "\n")
    else:
        out.write(token.token + "\n")


def _revoke(env: dict[str, str], args: argparse.Namespace, environ: dict[str, str], stdin: TextIO, out: TextIO) -> None:
    from .github_api import GitHubAPI
    from .inputs import parse_api_url, resolve_ca_bundle

    token = environ.get(args.token_env, "").strip() or stdin.read().strip()
    if not token:
        raise InputError(f"No token to revoke: set {args.token_env} or pass the token on standard input.")
    api = GitHubAPI(parse_api_url(env), ca_bundle=resolve_ca_bundle(env))
    try:
        api.revoke_installation_token(token)
    finally:
        api.close()
    out.write("revoked\n")


def _installations(env: dict[str, str], as_json: bool, out: TextIO) -> None:
    from .app_jwt import AppAuth
    from .github_api import GitHubAPI
    from .inputs import input_variable, parse_api_url, parse_issuer, resolve_ca_bundle
    from .private_key import load_private_key

    issuer, _ = parse_issuer(env)
    auth = AppAuth(issuer, load_private_key(env[input_variable("private-key")]))
    api = GitHubAPI(parse_api_url(env), ca_bundle=resolve_ca_bundle(env))
    try:
        found = api.list_installations(auth)
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
