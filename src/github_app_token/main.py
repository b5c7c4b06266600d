"""The action's main step: the runner's protocol on one side, :mod:`github_app_token.core` on the other.

Order matters for secrecy: an app JWT given as input is masked before this step prints anything
else (the runner itself printed the inputs in the step's header, before the container started), and
each token is masked (``::add-mask::``) the moment GitHub returns it, before it is written to
``GITHUB_OUTPUT`` or ``GITHUB_STATE``. A token the step fails to hand over is revoked at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import messages, report, runner, stray_inputs
from .cancel import Cancellation, Cancelled
from .errors import ActionError, MissingCredentials
from .inputs import get_input, parse_bool, parse_main_inputs
from .names import ACTION_NAMES, Names

if TYPE_CHECKING:
    from .broker.launch import Broker
    from .core import Minted
    from .github_api import GitHubAPI
    from .inputs import MainInputs


def bot_identity(
    api: GitHubAPI, first: Minted, lookup: bool, log: runner.Log, names: Names = ACTION_NAMES
) -> report.BotIdentity:
    """The first owner's bot identity; with ``lookup``, its user ID too (a failure is a warning)."""
    from .core import bot_user_id

    if not lookup:
        return report.BotIdentity.of(first.installation.app_slug, None)
    user_id, problem = bot_user_id(api, first.installation, first.token, names)
    if problem:
        log.warning(problem)
    return report.BotIdentity.of(first.installation.app_slug, user_id)


def run(
    env: Mapping[str, str],
    log: runner.Log | None = None,
    cancellation: Cancellation | None = None,
    names: Names = ACTION_NAMES,
) -> int:
    """Run the main step with the runner's environment ``env``; return the exit code.

    On failure prints exactly one ``::error::`` line and returns 1. ``cancellation`` is set by
    SIGINT/SIGTERM (the entrypoint installs it): then no new request starts, the tokens created are
    revoked, and the one error line says so. ``names`` words the messages: the CLI's
    ``create --github-output`` runs this same step with its options' names, and then returns the
    CLI's exit codes (2 bad input, 3 refused, 4 unreachable) instead of 1.
    """
    log = log or runner.Log()
    cancellation = cancellation or Cancellation()
    app_jwt = get_input(env, "app-jwt")
    if app_jwt:
        log.add_mask(app_jwt)  # our first line; the runner's step header printed the inputs before we ran
    api: GitHubAPI | None = None
    minted: list[Minted] = []
    broker: Broker | None = None  # with lifetime: job, once started
    handed_over = False  # True once the post step (or the user) is responsible for the tokens

    def revoke_unhanded() -> tuple[int, int]:
        """Revoke the tokens nobody else can use or revoke: ``(created, left valid)``; a broker
        started for them is stopped, and it revokes them (with any it minted)."""
        if api is None or not minted or handed_over:
            return 0, 0
        if broker is not None:
            from .broker.stop import stop

            stopped = stop(broker.directory, broker.container)
            if stopped.left_valid is not None:
                return len(minted), stopped.left_valid
        from .core import revoke

        return len(minted), sum(problem is not None for problem in revoke(api, [m.token.token for m in minted]))

    try:
        ignored = stray_inputs.check(env) if names.is_action else []  # a misspelt permission stops here
        if ignored:
            log.warning(messages.UNDECLARED_INPUTS.format(names=", ".join(f"'{name}'" for name in ignored)))
        inputs = parse_main_inputs(env, names)
        runner.require_file_commands(env, "GITHUB_OUTPUT", *(() if inputs.skip_token_revoke else ("GITHUB_STATE",)))
        job_long = inputs.lifetime == "job" and job_lifetime_possible(env, inputs, log)
        if job_long:
            runner.require_file_commands(env, "GITHUB_ENV")

        from .core import clock_note, mint, request_for
        from .github_api import GitHubAPI

        request = request_for(inputs, env.get("GITHUB_SERVER_URL", ""), env.get("GITHUB_API_URL", ""))
        api = GitHubAPI(
            inputs.api_url,
            log=log.info,
            debug=log.debug,
            ca_bundle=inputs.ca_bundle,
            cancellation=cancellation,
            mask=log.add_mask,  # each app JWT, before it is sent: a proxy could echo it in an error
            names=names,
        )
        minted = mint(request, api, on_token=log.add_mask)  # each token masked as it arrives
        cancellation.check()  # a signal during the last request: hand nothing over
        if note := clock_note(request.signer):
            log.warning(note)
        bot = bot_identity(api, minted[0], inputs.bot_identity, log, names)
        cancellation.check()
        if job_long:
            from .broker import launch

            broker = launch.begin(
                env,
                request,
                minted,
                api,
                inputs.private_key,
                inputs.lifetime_limit_minutes,
                inputs.lifetime_fallback,
                log.warning,
            )
        cancellation.check()
        runner.set_outputs(env, report.outputs(minted, bot, broker.command if broker else ""))
        if not inputs.skip_token_revoke:
            runner.save_state(env, report.state(minted, api.server_offset, broker))
        elif names.is_action and env.get("GITHUB_STATE"):  # not revoked: the post step says when it expires
            runner.save_state(env, {"expires-at": minted[0].token.expires_at})
        if broker is not None:
            runner.set_env(env, launch.environment(broker, env, request.server_url))
            log.info(launch.describe(broker))
        handed_over = True
        for item in minted:
            log.info(report.summary_line(item))
        runner.append_summary(env, report.step_summary(minted))
    except MissingCredentials as error:
        if skip_without_credentials(env):
            log.notice(messages.SKIPPED_NO_CREDENTIALS.format(reason=str(error)))
            runner.set_outputs(env, {"skipped": "true"})
            return 0
        message, code = str(error), error.exit_code
    except Cancelled as error:
        from .core import cancelled_note

        created, left = revoke_unhanded()
        message = str(cancellation.error(cancelled_note(created, left))) if created else str(error)
        code = error.exit_code
    except ActionError as error:
        message, code = str(error), error.exit_code
        discarded(*revoke_unhanded(), log)
    except Exception as error:  # noqa: BLE001 - the one exit path for bugs; no traceback, no secret
        message, code = messages.UNEXPECTED.format(kind=type(error).__name__), 1
        discarded(*revoke_unhanded(), log)
    else:
        return 0
    finally:
        if api is not None:
            api.close()
    fail(env, log, message)
    return 1 if names.is_action else code


def fail(env: Mapping[str, str], log: runner.Log, message: str) -> None:
    """The step's one error: an ``::error::`` line, and the same words in the step summary."""
    log.error(message)
    # In the step summary the links can be followed; the ::error:: line has been written already,
    # so a summary that cannot be written changes nothing.
    with contextlib.suppress(ActionError):
        runner.append_summary(env, report.failure_summary(message))


def job_lifetime_possible(env: Mapping[str, str], inputs: MainInputs, log: runner.Log) -> bool:
    """``lifetime: job``: whether a broker can run here, checked before any request (a warning, or
    with ``lifetime-fallback: fail`` an error, when it cannot)."""
    from .broker import launch

    return launch.possible(env, inputs.app_jwt, inputs.lifetime_fallback, log.warning)


def skip_without_credentials(env: Mapping[str, str]) -> bool:
    """The ``skip-without-credentials`` input; a bad value is not a reason to skip."""
    try:
        return parse_bool(env, "skip-without-credentials")
    except ActionError:
        return False


def discarded(created: int, left_valid: int, log: runner.Log) -> None:
    """Say what happened to the tokens a failed step revoked at once (nobody could use or revoke them
    otherwise): an info line when all were revoked, a warning when one is left valid."""
    if left_valid:
        log.warning(messages.DISCARD_FAILED)
    elif created:
        log.info(messages.DISCARDED)
