"""What the CLI's commands share: option groups, where the key comes from, the inputs, the API client.

The options mirror the action's inputs and go through the same parsing (:mod:`github_app_token.inputs`),
with the CLI's own words in every message (:data:`github_app_token.names.CLI_NAMES`): an error names
the option the user typed, never the action input behind it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from ..cancel import Cancellation
from ..errors import InputError
from ..names import CLI_NAMES, Names

if TYPE_CHECKING:
    from ..github_api import GitHubAPI

EXIT_CODES = "exit codes: 0 success, 2 bad input, 3 GitHub refused the request, 4 GitHub unreachable."
KEY_SOURCES = """The private key comes from --private-key-file (a path, or - for standard input) or from the
environment variable named by --private-key-env (default GITHUB_APP_PRIVATE_KEY). An app JWT
signed elsewhere (a KMS, an HSM, Vault) replaces the key: --app-jwt-file or --app-jwt-env."""
EPILOG = f"{EXIT_CODES}\n{KEY_SOURCES}"
DEFAULT_KEY_ENV = "GITHUB_APP_PRIVATE_KEY"


@dataclass
class Context:
    """One invocation's surroundings: its environment, standard streams and cancellation."""

    environ: dict[str, str]
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    cancellation: Cancellation = field(default_factory=Cancellation)

    def warn(self, message: str) -> None:
        self.stderr.write(f"warning: {message}\n")


def command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    epilog: str = EPILOG,
) -> argparse.ArgumentParser:
    """A subcommand, with the epilog that says what applies to it (exit codes, where the key comes from)."""
    return commands.add_parser(
        name, help=summary, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def add_app_options(parser: argparse.ArgumentParser) -> None:
    app = parser.add_argument_group("the GitHub App")
    app.add_argument("--client-id", help="the app's client ID (preferred over --app-id)")
    app.add_argument("--app-id", help="the app's numeric app ID")
    app.add_argument(
        "--private-key-file", metavar="PATH", help="the app's PEM private key file; - reads standard input"
    )
    app.add_argument(
        "--private-key-env",
        metavar="VAR",
        default=DEFAULT_KEY_ENV,
        help="environment variable holding the PEM private key, or its base64 (default: %(default)s)",
    )
    app.add_argument(
        "--app-jwt-file",
        metavar="PATH",
        help="an app JWT signed elsewhere, instead of the key (no ID needed); - reads standard input",
    )
    app.add_argument("--app-jwt-env", metavar="VAR", help="environment variable holding an app JWT signed elsewhere")


def add_api_options(parser: argparse.ArgumentParser) -> None:
    api = parser.add_argument_group("GitHub")
    api.add_argument(
        "--api-url",
        help="REST API URL, e.g. https://HOST/api/v3 (default: $GITHUB_API_URL or https://api.github.com)",
    )
    api.add_argument("--ca-bundle", metavar="PATH", help="CA certificates (PEM) for a private CA")


def read_file(option: str, path: str, stdin: TextIO) -> str:
    """The text of ``path`` (``-``: standard input); InputError naming ``option`` when it cannot be read."""
    if path == "-":
        return stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a text file"
        raise InputError(f"Cannot read {option} '{path}': {reason}.") from None


def credentials(args: argparse.Namespace, ctx: Context) -> tuple[str, str, Names]:
    """``(input name, value, names)``: the app JWT when one is given, else the private key, and the
    CLI's names with the key's (or JWT's) source in them, for messages about its content."""
    given = [option for option in ("app_jwt_file", "app_jwt_env", "private_key_file") if getattr(args, option)]
    if len(given) > 1:
        flags = " and ".join("--" + option.replace("_", "-") for option in given)
        raise InputError(f"Both {flags} are given: give one source of the app's credentials.")
    if args.app_jwt_file:
        shown = "standard input" if args.app_jwt_file == "-" else f"'{args.app_jwt_file}'"
        names = CLI_NAMES.replace(app_jwt=f"the app JWT from --app-jwt-file ({shown})")
        return "app-jwt", read_file("--app-jwt-file", args.app_jwt_file, ctx.stdin), names
    if args.app_jwt_env:
        value = ctx.environ.get(args.app_jwt_env, "")
        if not value.strip():
            raise InputError(f"--app-jwt-env names {args.app_jwt_env}, which is not set or empty.")
        return "app-jwt", value, CLI_NAMES.replace(app_jwt=f"{args.app_jwt_env} (--app-jwt-env)")
    if args.private_key_file:
        shown = "standard input" if args.private_key_file == "-" else f"'{args.private_key_file}'"
        names = CLI_NAMES.replace(private_key=f"the key from --private-key-file ({shown})")
        return "private-key", read_file("--private-key-file", args.private_key_file, ctx.stdin), names
    value = ctx.environ.get(args.private_key_env, "")
    if not value.strip():
        raise InputError(
            f"No private key: give --private-key-file PATH (or - for standard input), or set "
            f"{args.private_key_env} to the PEM key; or give an app JWT with --app-jwt-file or --app-jwt-env."
        )
    return "private-key", value, CLI_NAMES.replace(private_key=f"{args.private_key_env} (--private-key-env)")


def to_inputs(args: argparse.Namespace, ctx: Context, *, with_credentials: bool = True) -> tuple[dict[str, str], Names]:
    """The options as the runner's ``INPUT_*`` environment, plus the process's ``GITHUB_*``; and the
    names messages use for them."""
    env = {k: v for k, v in ctx.environ.items() if k.startswith(("GITHUB_", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"))}
    names = CLI_NAMES

    def put(name: str, value: str | None) -> None:
        if value:
            env["INPUT_" + name.upper()] = value

    for name in ("client-id", "app-id", "repository-ids", "installation-id", "enterprise", "ca-bundle"):
        put(name, getattr(args, name.replace("-", "_"), None))
    put("owner", "\n".join(getattr(args, "owner", None) or ()))
    put("repositories", "\n".join(getattr(args, "repositories", None) or ()))
    put("github-api-url", args.api_url)
    if with_credentials:
        name, value, names = credentials(args, ctx)
        put(name, value)
    for item in getattr(args, "permission", None) or ():
        permission, sep, level = item.partition("=")
        if not sep or not permission.strip():
            raise InputError(f"--permission takes NAME=LEVEL (e.g. contents=read), not '{item[:40]}'.")
        put("permission-" + permission.strip().replace("_", "-"), level.strip())
    return env, names


def make_api(env: dict[str, str], names: Names, ctx: Context) -> GitHubAPI:
    """The API client for the options in ``env``; retries and throttling waits are logged on standard error."""
    from ..github_api import GitHubAPI
    from ..inputs import parse_api_url, resolve_ca_bundle

    def log(line: str) -> None:
        print(line, file=ctx.stderr)

    return GitHubAPI(
        parse_api_url(env, names),
        log=log,
        ca_bundle=resolve_ca_bundle(env, names),
        cancellation=ctx.cancellation,
        names=names,
    )
