"""``github-app-token create``: mint installation access tokens and hand them over.

Three ways to hand them over, each all or nothing (a token that could not be handed over is
revoked at once, and so is every token when the command is cancelled):

- the default: the token on standard output (``OWNER<TAB>TOKEN`` lines with several owners);
- ``--json``: one object whose shape does not depend on the number of owners: the first owner's
  ``token`` and details (as the action's single outputs), plus ``tokens`` and ``installations``
  keyed by owner (as the action's outputs of those names);
- ``--github-output``: in a GitHub Actions step of one's own (macOS and Windows runners, where a
  Docker action cannot run): exactly what the action's main step does, with the CLI's words: each
  token masked with ``::add-mask::`` the moment it arrives, the action's outputs written to
  ``$GITHUB_OUTPUT``, the log lines and the step summary; errors as ``::error::``. The post step
  is yours: ``github-app-token revoke`` in a last step with ``if: always()``.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ..errors import ActionError, InputError
from ..redaction import redact
from .common import Context, add_api_options, add_app_options, command, make_api, to_inputs

if TYPE_CHECKING:
    from ..core import Minted
    from ..github_api import GitHubAPI

#: Written when the tokens cannot be handed over on standard output (a closed pipe, a full disk).
OUTPUT_FAILED = "The tokens could not be written to standard output ({reason}), so {what}."


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = command(
        commands,
        "create",
        "create installation access tokens (one per owner) and print them",
        "Create an installation access token (valid for one hour) for each owner, and print it on standard output.",
    )
    add_app_options(create)
    scope = create.add_argument_group("what the token covers (as the action's inputs)")
    scope.add_argument(
        "--owner",
        action="append",
        default=[],
        help="user or organization of an installation; alone: all its repositories (repeatable: a token each)",
    )
    scope.add_argument(
        "--repositories",
        action="append",
        default=[],
        help="repository names, or owner/name for several owners, separated by commas (repeatable)",
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
    add_api_options(create)
    out = create.add_argument_group("output")
    how = out.add_mutually_exclusive_group()
    how.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: the first owner's token and details, and 'tokens' and 'installations' by owner",
    )
    how.add_argument(
        "--github-output",
        action="store_true",
        help="in a GitHub Actions step: mask the tokens and write the action's outputs to $GITHUB_OUTPUT",
    )
    out.add_argument(
        "--bot-identity",
        action="store_true",
        help="also look up the app's bot user (bot_name, bot_user_id, bot_email; one more request)",
    )
    create.set_defaults(run=run)


def as_json(minted: list[Minted], bot: dict[str, str]) -> str:
    """The ``--json`` object: the same shape for one owner and for several."""
    from .. import report

    first = minted[0]
    details: dict[str, object] = {"token": first.token.token, **report.installation_details(first), **bot}
    details["tokens"] = {item.owner: item.token.token for item in minted}
    details["installations"] = {item.owner: report.installation_details(item) for item in minted}
    return json.dumps(details, indent=2) + "\n"


#: ``--bot-identity`` alone would cost a request and show nothing.
BOT_IDENTITY_ALONE = (
    "--bot-identity adds bot_name, bot_user_id and bot_email to what --json prints (or to the outputs "
    "--github-output writes); give one of them with it."
)


#: ``--github-output`` where no step's output file is.
NOT_IN_A_STEP = (
    "--github-output writes the outputs to the file named by GITHUB_OUTPUT, which GitHub Actions sets in a "
    "step's environment, and it is not set here. Outside Actions, leave --github-output out (the token is "
    "printed), or use --json."
)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Mint and hand over; raises ActionError (the CLI prints it as one line)."""
    if args.github_output:
        return run_as_step(args, ctx)
    if args.bot_identity and not args.json:
        raise InputError(BOT_IDENTITY_ALONE)
    env, names = to_inputs(args, ctx)
    from ..core import clock_note, mint, request_for
    from ..inputs import parse_main_inputs

    request = request_for(
        parse_main_inputs(env, names), env.get("GITHUB_SERVER_URL", ""), env.get("GITHUB_API_URL", "")
    )
    api = make_api(env, names, ctx)
    try:
        minted = mint(request, api)
        if note := clock_note(request.signer):
            ctx.warn(note)
        hand_over(minted, args, api, ctx)
    finally:
        api.close()
    return 0


def run_as_step(args: argparse.Namespace, ctx: Context) -> int:
    """``--github-output``: the action's main step with the CLI's words, every error (the options'
    too) as its one ``::error::`` line and in the step summary; the revoke is a later step of the user's."""
    from .. import main, runner

    log = runner.Log(ctx.stdout)
    try:
        if not ctx.environ.get("GITHUB_OUTPUT"):
            raise InputError(NOT_IN_A_STEP)
        env, names = to_inputs(args, ctx)
    except ActionError as error:
        main.fail(dict(ctx.environ), log, redact(str(error)))
        return error.exit_code
    if args.bot_identity:
        env["INPUT_BOT-IDENTITY"] = "true"
    env["INPUT_SKIP-TOKEN-REVOKE"] = "true"
    return main.run(env, log, ctx.cancellation, names)


def hand_over(minted: list[Minted], args: argparse.Namespace, api: GitHubAPI, ctx: Context) -> None:
    """Print the tokens; revoke them all if that fails or the command is cancelled before it is done."""
    from ..cancel import Cancelled
    from ..core import cancelled_note, revoke

    def revoked() -> str:
        problems = revoke(api, [item.token.token for item in minted])
        left = sum(problem is not None for problem in problems)
        return f"{len(minted) - left} of {len(minted)} were revoked" if left else "they were revoked"

    try:
        ctx.cancellation.check()
        bot = bot_fields(minted[0], api) if args.bot_identity else {}
        ctx.cancellation.check()
        if args.json:
            text = as_json(minted, bot)
        elif len(minted) > 1:
            text = "".join(f"{item.owner}\t{item.token.token}\n" for item in minted)
        else:
            text = minted[0].token.token + "\n"
        ctx.stdout.write(text)
        ctx.stdout.flush()
    except Cancelled:
        problems = revoke(api, [item.token.token for item in minted])
        raise ctx.cancellation.error(cancelled_note(len(minted), sum(p is not None for p in problems))) from None
    except OSError as error:  # a closed pipe (BrokenPipeError), a full disk: nobody got the tokens
        discard_stdout(ctx)
        raise ActionError(OUTPUT_FAILED.format(reason=error.strerror or type(error).__name__, what=revoked())) from None
    except ActionError:
        revoked()
        raise


def discard_stdout(ctx: Context) -> None:
    """Point standard output at /dev/null: what is still buffered for a closed pipe must not fail
    again when the interpreter exits (a second, unexplained line on standard error)."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), ctx.stdout.fileno())


def bot_fields(first: Minted, api: GitHubAPI) -> dict[str, str]:
    """``bot_name``, ``bot_user_id``, ``bot_email`` for ``--json`` (a failed lookup is an error here)."""
    from .. import report
    from ..core import bot_user_id
    from ..names import CLI_NAMES

    user_id, problem = bot_user_id(api, first.installation, first.token, CLI_NAMES)
    if problem:
        raise ActionError(problem)
    bot = report.BotIdentity.of(first.installation.app_slug, user_id)
    return {"bot_name": bot.name, "bot_user_id": bot.user_id, "bot_email": bot.email}
