"""The action's main step: the runner's protocol on one side, :mod:`github_app_token.core` on the other.

Order matters for secrecy: an app JWT given as input is masked before anything else is printed,
and each token is masked (``::add-mask::``) the moment GitHub returns it, before it is written to
``GITHUB_OUTPUT`` or ``GITHUB_STATE``. A token the step fails to hand over is revoked at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import messages, report, runner
from .errors import ActionError, MissingCredentials
from .inputs import get_input, parse_bool, parse_main_inputs

if TYPE_CHECKING:
    from .core import Minted
    from .github_api import GitHubAPI


def bot_identity(api: GitHubAPI, first: Minted, lookup: bool, log: runner.Log) -> report.BotIdentity:
    """The first owner's bot identity; with ``lookup``, its user ID too (a failure is a warning)."""
    from .core import bot_user_id

    if not lookup:
        return report.BotIdentity.of(first.installation.app_slug, None)
    user_id, problem = bot_user_id(api, first.installation, first.token)
    if problem:
        log.warning(problem)
    return report.BotIdentity.of(first.installation.app_slug, user_id)


def run(env: Mapping[str, str], log: runner.Log | None = None) -> int:
    """Run the main step with the runner's environment ``env``; return the exit code.

    On failure prints exactly one ``::error::`` line and returns 1.
    """
    log = log or runner.Log()
    app_jwt = get_input(env, "app-jwt")
    if app_jwt:
        log.add_mask(app_jwt)  # before anything else is printed
    api: GitHubAPI | None = None
    minted: list[Minted] = []
    handed_over = False  # True once the post step (or the user) is responsible for the tokens
    try:
        inputs = parse_main_inputs(env)
        runner.require_file_commands(env, "GITHUB_OUTPUT", *(() if inputs.skip_token_revoke else ("GITHUB_STATE",)))

        from .core import clock_note, mint, request_for
        from .github_api import GitHubAPI

        request = request_for(inputs, env.get("GITHUB_SERVER_URL", ""))
        api = GitHubAPI(inputs.api_url, log=log.info, debug=log.debug, ca_bundle=inputs.ca_bundle)
        minted = mint(request, api, on_token=log.add_mask)  # each token masked as it arrives
        if note := clock_note(request.signer):
            log.warning(note)
        bot = bot_identity(api, minted[0], inputs.bot_identity, log)
        runner.set_outputs(env, report.outputs(minted, bot))
        if not inputs.skip_token_revoke:
            runner.save_state(env, report.state(minted, api.server_offset))
        handed_over = True
        for item in minted:
            log.info(report.summary_line(item))
        runner.append_summary(env, report.step_summary(minted))
    except MissingCredentials as error:
        if skip_without_credentials(env):
            log.notice(messages.SKIPPED_NO_CREDENTIALS.format(reason=str(error)))
            runner.set_outputs(env, {"skipped": "true"})
            return 0
        message = str(error)
    except ActionError as error:
        message = str(error)
    except Exception as error:  # noqa: BLE001 - the one exit path for bugs; no traceback, no secret
        message = messages.UNEXPECTED.format(kind=type(error).__name__)
    else:
        return 0
    finally:
        if api is not None:
            if minted and not handed_over:
                discard(api, [item.token.token for item in minted], log)
            api.close()
    log.error(message)
    # The same words in the step summary, where the links can be followed; the ::error:: line
    # has been written already, so a summary that cannot be written changes nothing.
    with contextlib.suppress(ActionError):
        runner.append_summary(env, report.failure_summary(message))
    return 1


def skip_without_credentials(env: Mapping[str, str]) -> bool:
    """The ``skip-without-credentials`` input; a bad value is not a reason to skip."""
    try:
        return parse_bool(env, "skip-without-credentials")
    except ActionError:
        return False


def discard(api: GitHubAPI, tokens: list[str], log: runner.Log) -> None:
    """Revoke tokens the step failed to hand over (nobody could use or revoke them otherwise)."""
    from .core import revoke

    if any(revoke(api, tokens)):
        log.info(messages.DISCARD_FAILED)
    else:
        log.info(messages.DISCARDED)
