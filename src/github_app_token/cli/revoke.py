"""``github-app-token revoke``: revoke installation access tokens (``DELETE /installation/token``).

The tokens come from one place, never two: standard input (the default, or ``-``), or the variable
named by ``--token-env``; both at once is refused, so that no token offered is silently left valid.
What is read may be what ``create`` prints (a token, or ``OWNER<TAB>TOKEN`` lines), the ``tokens``
output of the action or of ``create --github-output`` (a JSON object keyed by owner), or
``create --json``'s object. Every token is tried; a line that fails is named (line number and owner,
never the token), and the others are still revoked. A token GitHub already refuses (HTTP 401:
revoked or expired) is reported as such and is no failure: nothing is left valid.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import NamedTuple

from ..errors import ActionError, GitHubAPIError, InputError
from ..redaction import looks_secret
from .common import EXIT_CODES, Context, add_api_options, command, make_api, read_stdin, to_inputs, variable_name

EPILOG = f"""{EXIT_CODES}
Standard input may hold what create prints (a token, or OWNER<TAB>TOKEN lines), the 'tokens' JSON
output of the action (or of create --github-output), or create --json's object."""


#: What a token is made of, whatever its format: base64url and JWT characters (dots), no spaces,
#: quotes, brackets or commas (the marks of a script's line or of JSON).
TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_.\-+/=~]+")

#: How revoke wants its lines: a TOKEN<TAB>OWNER line would revoke the owner's name, answered 401
#: ("already revoked"), and leave the token valid.
ROUND = 'Give what create prints: OWNER<TAB>TOKEN lines, or {"OWNER": "TOKEN"} JSON (the token is not shown).'


class Offered(NamedTuple):
    """One token to revoke: where it was read (``where``, e.g. ``line 2``) and its owner when known."""

    where: str
    owner: str
    token: str


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    revoke = command(
        commands,
        "revoke",
        "revoke installation access tokens",
        "Revoke installation access tokens (DELETE /installation/token), read from standard input or a variable.",
        EPILOG,
    )
    revoke.add_argument(
        "source",
        nargs="?",
        metavar="-",
        help="- reads standard input (the default when --token-env is not given); never a token itself",
    )
    revoke.add_argument(
        "--token-env",
        metavar="VAR",
        type=variable_name,
        help="read the tokens from this environment variable instead of standard input (e.g. GITHUB_APP_TOKEN)",
    )
    add_api_options(revoke)
    revoke.set_defaults(run=run)


def parse(text: str, source: str) -> list[Offered]:
    """The tokens in ``text`` (see the module's docstring); InputError for a line that is none."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            raise InputError(f"{source} starts like JSON but is not JSON: give tokens, one per line.") from None
        tokens = document.get("tokens", document) if isinstance(document, dict) else None
        if not isinstance(tokens, dict) or not all(isinstance(v, str) for v in tokens.values()):
            raise InputError(f'{source} is JSON without a tokens object ({{"OWNER": "TOKEN"}}).')
        if any(looks_secret(str(owner)) for owner in tokens):
            raise InputError(f"{source} has a token where an owner goes: nothing was revoked. {ROUND}")
        return [Offered(f"'{owner}'", str(owner), token.strip()) for owner, token in tokens.items()]
    offered = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        owner, tab, token = line.strip().rpartition("\t")
        token = token.strip()
        if not TOKEN_CHARACTERS.fullmatch(token):  # tokens are opaque; a line of a script or JSON is not one
            raise InputError(
                f"Line {number} of {source} is not a token (nor OWNER<TAB>TOKEN): nothing was revoked. "
                "Give what create prints, one token per line."
            )
        if tab and looks_secret(owner.strip()):
            raise InputError(
                f"Line {number} of {source} has a token where the owner goes: nothing was revoked. {ROUND}"
            )
        offered.append(Offered(f"line {number}", owner.strip() if tab else "", token))
    return offered


#: A token given as an argument: refused unseen (argv is in the process list and the shell's history).
ARGUMENT_REFUSED = (
    "revoke takes no token as an argument (it would show in the process list and the shell's history; "
    "it is not repeated here): pipe it in, printf '%s\\n' \"$token\" | github-app-token revoke, or "
    "name its variable with --token-env VAR."
)


def read(args: argparse.Namespace, ctx: Context) -> list[Offered]:
    """The tokens offered, from exactly one source."""
    if args.source not in (None, "-"):
        raise InputError(ARGUMENT_REFUSED)
    if args.token_env and args.source == "-":
        raise InputError(
            f"Both --token-env {args.token_env} and - (standard input) are given: give one, so that no "
            "token offered is left out."
        )
    if args.token_env:
        source = f"{args.token_env} (--token-env)"
        text = ctx.environ.get(args.token_env, "")
        if not text.strip():
            raise InputError(f"--token-env names {args.token_env}, which is not set or empty: no token to revoke.")
    else:
        source = "standard input"
        read_stdin("revoke", ctx.stdin)
        text = ctx.stdin.read()
        if not text.strip():
            hint = (
                " GITHUB_APP_TOKEN is set: to revoke its token, add --token-env GITHUB_APP_TOKEN."
                if ctx.environ.get("GITHUB_APP_TOKEN", "").strip()
                else ""
            )
            raise InputError(f"No token to revoke on standard input.{hint}")
    return parse(text, source)


def run(args: argparse.Namespace, ctx: Context) -> int:
    offered = read(args, ctx)
    env, names = to_inputs(args, ctx, with_credentials=False)
    api = make_api(env, names, ctx)
    failed: list[ActionError] = []
    try:
        for item in offered:
            label = f"{item.owner}\t" if item.owner else ""
            try:
                api.revoke_installation_token(item.token)
            except GitHubAPIError as error:
                if error.status == 401:  # revoked already, or expired: nothing is left valid
                    ctx.stdout.write(f"{label}already revoked or expired\n")
                    continue
                failed.append(error)
                ctx.error(f"{describe(item)}: {error}")
            except ActionError as error:
                failed.append(error)
                ctx.error(f"{describe(item)}: {error}")
            else:
                ctx.stdout.write(f"{label}revoked\n")
    finally:
        api.close()
    if failed:
        raise RevokeFailed(len(failed), len(offered), max(error.exit_code for error in failed))
    return 0


def describe(item: Offered) -> str:
    return f"{item.where} (owner '{item.owner}')" if item.owner and not item.where.startswith("'") else item.where


class RevokeFailed(ActionError):
    """Some tokens could not be revoked; each was named on standard error already."""

    def __init__(self, failed: int, total: int, exit_code: int) -> None:
        super().__init__(
            f"{failed} of {total} token(s) could not be revoked (see above); the others were. A token "
            "left valid expires within the hour after it was created."
        )
        self.exit_code = exit_code
