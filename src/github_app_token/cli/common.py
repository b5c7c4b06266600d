"""What the CLI's commands share: option groups, where the key comes from, the inputs, the API client.

The options mirror the action's inputs and go through the same parsing (:mod:`github_app_token.inputs`),
with the CLI's own words in every message (:data:`github_app_token.names.CLI_NAMES`): an error names
the option the user typed, never the action input behind it.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn, TextIO

from ..cancel import Cancellation
from ..errors import InputError
from ..names import CLI_NAMES, Names
from ..redaction import NOT_SHOWN, looks_secret, quoted, redact

if TYPE_CHECKING:
    from ..github_api import GitHubAPI

EXIT_CODES = "exit codes: 0 success, 2 bad input, 3 GitHub refused the request, 4 GitHub unreachable."
KEY_SOURCES = """The private key comes from --private-key-file (a path, or - for standard input) or from the
environment variable named by --private-key-env (default GITHUB_APP_PRIVATE_KEY). An app JWT
signed elsewhere (a KMS, an HSM, Vault) replaces the key: --app-jwt-file or --app-jwt-env."""
EPILOG = f"{EXIT_CODES}\n{KEY_SOURCES}"
DEFAULT_KEY_ENV = "GITHUB_APP_PRIVATE_KEY"
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Context:
    """One invocation's surroundings: its environment, standard streams and cancellation."""

    environ: dict[str, str]
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    cancellation: Cancellation = field(default_factory=Cancellation)

    def warn(self, message: str) -> None:
        self.stderr.write(f"warning: {redact(message)}\n")

    def error(self, message: str) -> None:
        """One ``error:`` line; a secret pasted where a value goes is never quoted (:func:`redact`)."""
        self.stderr.write(f"error: {redact(message)}\n")


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
        type=variable_name,
        default=DEFAULT_KEY_ENV,
        help="environment variable holding the PEM private key, or its base64 (default: %(default)s)",
    )
    app.add_argument(
        "--app-jwt-file",
        metavar="PATH",
        help="an app JWT signed elsewhere, instead of the key (no ID needed); - reads standard input",
    )
    app.add_argument(
        "--app-jwt-env",
        metavar="VAR",
        type=variable_name,
        help="environment variable holding an app JWT signed elsewhere",
    )


def add_api_options(parser: argparse.ArgumentParser) -> None:
    api = parser.add_argument_group("GitHub")
    api.add_argument(
        "--api-url",
        help="REST API URL, e.g. https://HOST/api/v3 (default: $GITHUB_API_URL or https://api.github.com)",
    )
    api.add_argument("--ca-bundle", metavar="PATH", help="CA certificates (PEM) for a private CA")


#: How to give each file option's secret instead, when its path looks like the secret itself.
SECRET_INSTEAD = {
    "--private-key-file": f"save it in a file, pipe it in with --private-key-file -, or put it in {DEFAULT_KEY_ENV}",
    "--app-jwt-file": "pipe it in with --app-jwt-file -, or put it in a variable named by --app-jwt-env",
}


def read_file(option: str, path: str, stdin: TextIO) -> str:
    """The text of ``path`` (``-``: standard input, which must not be a terminal); InputError naming
    ``option`` when it cannot be read, without quoting a path that looks like the secret itself."""
    if path == "-":
        read_stdin(option + " -", stdin)
        return stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError, ValueError) as error:  # ValueError: a NUL in the path
        if looks_secret(path):
            how = SECRET_INSTEAD.get(option, "give the path of a file that holds it")
            raise InputError(
                f"{option} takes a path, and what was given looks like the secret itself ({NOT_SHOWN[1:-1]}): {how}."
            ) from None
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a text file"
        raise InputError(f"Cannot read {option} '{path}': {reason}.") from None


def read_stdin(what: str, stdin: TextIO) -> None:
    """Refuse to wait on a terminal for ``what`` (e.g. ``--private-key-file -``): nothing was piped
    in, and a secret typed or pasted there would show on the screen (InputError)."""
    if stdin.isatty():
        raise InputError(
            f"{what} reads standard input, which is a terminal here: pipe it in (e.g. < FILE), or give it another way."
        )


def variable_name(value: str) -> str:
    """argparse ``type`` of the options that name an environment variable: a name, never its value."""
    if not VARIABLE_NAME.fullmatch(value) or looks_secret(value):  # base64 can look like a name
        shown = NOT_SHOWN if looks_secret(value) else repr(value[:40])
        raise argparse.ArgumentTypeError(
            f"takes the name of an environment variable (e.g. {DEFAULT_KEY_ENV}), not its value; {shown} is no name"
        )
    return value


class Parser(argparse.ArgumentParser):
    """argparse, whose error messages quote no secret given as an argument (``revoke "$token"``)."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes a value as its repr: a key's line breaks become a literal \n, and its last,
        # short line would pass for a word; a quoted value with a line break is not shown at all.
        super().error(redact(re.sub(r"'[^']*\\n[^']*'", NOT_SHOWN, message)))


def credentials(args: argparse.Namespace, ctx: Context) -> tuple[str, str, Names]:
    """``(input name, value, names)``: the app JWT when one is given, else the private key, and the
    CLI's names with the key's (or JWT's) source in them, for messages about its content."""
    given = [option for option in ("app_jwt_file", "app_jwt_env", "private_key_file") if getattr(args, option)]
    if len(given) > 1:
        flags = " and ".join("--" + option.replace("_", "-") for option in given)
        raise InputError(f"Both {flags} are given: give one source of the app's credentials.")
    if args.app_jwt_file:
        what = f"the app JWT from --app-jwt-file ({from_file(args.app_jwt_file)})"
        return (
            "app-jwt",
            not_empty(read_file("--app-jwt-file", args.app_jwt_file, ctx.stdin), what),
            CLI_NAMES.replace(app_jwt=what),
        )
    if args.app_jwt_env:
        value = ctx.environ.get(args.app_jwt_env, "")
        if not value.strip():
            raise InputError(
                f"--app-jwt-env names {args.app_jwt_env}, which is {unset_or_empty(args.app_jwt_env, ctx)}."
            )
        return "app-jwt", value, CLI_NAMES.replace(app_jwt=f"{args.app_jwt_env} (--app-jwt-env)")
    if args.private_key_file:
        what = f"the key from --private-key-file ({from_file(args.private_key_file)})"
        key = not_empty(read_file("--private-key-file", args.private_key_file, ctx.stdin), what)
        return "private-key", key, CLI_NAMES.replace(private_key=what)
    value = ctx.environ.get(args.private_key_env, "")
    if not value.strip():
        why = unset_or_empty(args.private_key_env, ctx)
        raise InputError(
            f"No private key: {args.private_key_env} (--private-key-env) is {why}. "
            "Give --private-key-file PATH (or - for standard input), set the variable to the PEM key, or give "
            "an app JWT with --app-jwt-file or --app-jwt-env."
        )
    return "private-key", value, CLI_NAMES.replace(private_key=f"{args.private_key_env} (--private-key-env)")


def from_file(path: str) -> str:
    """How a message names the file option's source: ``standard input`` or the quoted path."""
    return "standard input" if path == "-" else f"'{path}'"


def not_empty(text: str, what: str) -> str:
    """``text``, or InputError saying ``what`` (e.g. "the key from --private-key-file ('app.pem')") is empty."""
    if not text.strip():
        raise InputError(f"{what[0].upper()}{what[1:]} is empty: give the file that holds it.")
    return text


def unset_or_empty(variable: str, ctx: Context) -> str:
    """Why ``variable`` gave nothing: not set, or set but empty (in GitHub Actions, the sign of a
    secret that does not exist here, or of a run from a fork, which gets no secrets)."""
    if variable not in ctx.environ:
        return "not set"
    if ctx.environ.get("GITHUB_ACTIONS") == "true":
        return (
            "set but empty: in GitHub Actions that is a secret this repository (or environment) does not have, "
            "or a run for a fork's pull request, which gets no secrets"
        )
    return "set but empty"


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
            raise InputError(f"--permission takes NAME=LEVEL (e.g. contents=read), not {quoted(item[:40])}.")
        if "=" in level or "," in level:
            each = " ".join(f"--permission {part.strip()}" for part in item.split(",")[:4] if part.strip())
            example = "--permission issues=write --permission contents=read" if looks_secret(item) else each
            raise InputError(f"--permission takes one NAME=LEVEL; repeat it for each permission: {example}.")
        put("permission-" + permission.strip().replace("_", "-"), level.strip())
    return env, names


def make_api(env: dict[str, str], names: Names, ctx: Context) -> GitHubAPI:
    """The API client for the options in ``env``; retries and throttling waits are logged on standard error."""
    from ..github_api import GitHubAPI
    from ..inputs import parse_api_url, resolve_ca_bundle

    def log(line: str) -> None:
        print(redact(line), file=ctx.stderr)

    return GitHubAPI(
        parse_api_url(env, names),
        log=log,
        ca_bundle=resolve_ca_bundle(env, names),
        cancellation=ctx.cancellation,
        names=names,
    )
