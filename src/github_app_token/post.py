"""The action's post step: revoke the token (each token, with several owners) unless told not to or expired;
with ``lifetime: job``, have the broker revoke every token it minted and stop first.

The post step never fails the job: every problem becomes one ``::warning::`` line with
a readable reason, and the exit code is always 0. It imports neither PyJWT nor
cryptography: revoking needs only the token.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import messages, runner
from .errors import ActionError, GitHubAPIError
from .inputs import parse_api_url, parse_bool, resolve_ca_bundle

if TYPE_CHECKING:
    from .cancel import Cancellation
    from .github_api import GitHubAPI

#: Seconds before ``expires-at`` from which the token is treated as expired already.
EXPIRY_MARGIN = 60


def parse_expiry(value: str) -> datetime.datetime | None:
    """Parse GitHub's ISO 8601 ``expires_at`` (e.g. ``2026-01-01T12:00:00Z``) as aware UTC."""
    try:
        moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def is_expired(expires_at: str, now: datetime.datetime | None = None) -> bool:
    """True when the token expires within :data:`EXPIRY_MARGIN` seconds (or has expired).

    An unreadable value is not treated as expired: revoking is then still attempted.
    """
    moment = parse_expiry(expires_at)
    if moment is None:
        return False
    now = now or datetime.datetime.now(datetime.UTC)
    return (moment - now).total_seconds() <= EXPIRY_MARGIN


def github_now(clock_offset: str) -> datetime.datetime:
    """GitHub's current time: ours plus the offset (seconds) the main step observed."""
    try:
        offset = float(clock_offset or 0)
    except ValueError:
        offset = 0.0
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset)


def saved_tokens(env: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``[(token, expires-at, owner)]`` the main step saved: ``tokens`` for several owners (with each
    owner as written), else ``token`` (owner "")."""
    several = runner.get_state(env, "tokens")
    if several:
        try:
            entries = json.loads(several)
            return [(str(item["token"]), str(item["expires-at"]), str(item.get("owner", ""))) for item in entries]
        except (ValueError, TypeError, KeyError, AttributeError):
            pass  # unreadable: fall back to the first token, saved on its own too
    token = runner.get_state(env, "token")
    return [(token, runner.get_state(env, "expires-at") or "an unknown time", "")] if token else []


def run(env: Mapping[str, str], log: runner.Log | None = None, cancellation: Cancellation | None = None) -> int:
    """Run the post step with the runner's environment ``env``; always returns 0.

    A signal (``cancellation``, installed by the entrypoint) does not stop it: revoking is what a
    cancelled job needs most, and it takes a request per token.
    """
    log = log or runner.Log()
    saved = saved_tokens(env)
    # The first token's, for messages (with skip-token-revoke, the only thing saved).
    expires_at = saved[0][1] if saved else runner.get_state(env, "expires-at") or "an unknown time"
    try:
        # With lifetime: job the saved tokens are revoked here too: the broker says it revoked them,
        # and GitHub's 401 (or 404) for each then confirms it, quietly.
        by_broker = stop_broker(env, log)
        if parse_bool(env, "skip-token-revoke"):
            log.info(messages.POST_SKIPPED.format(expires_at=expires_at))
            return 0
        if not saved:
            log.info(messages.POST_NO_TOKEN)
            return 0
        now = github_now(runner.get_state(env, "clock-offset"))
        live = [item for item in saved if not is_expired(item[1], now)]
        for _, expiry, _ in (item for item in saved if item not in live and not by_broker):
            log.info(messages.POST_EXPIRED.format(expires_at=expiry))
        if not live:
            return 0
        from .github_api import GitHubAPI

        api = GitHubAPI(parse_api_url(env), log=log.info, debug=log.debug, ca_bundle=resolve_ca_bundle(env))
        try:
            for token, expiry, owner in live:
                revoke_one(api, token, expiry, log, owner=owner if len(saved) > 1 else "", quiet=by_broker)
        finally:
            api.close()
    except ActionError as error:
        log.warning(messages.POST_REVOKE_FAILED.format(reason=str(error), expires_at=expires_at))
    except Exception as error:  # noqa: BLE001 - the post step must not fail the job
        reason = f"unexpected {type(error).__name__}"
        log.warning(messages.POST_REVOKE_FAILED.format(reason=reason, expires_at=expires_at))
    return 0


def stop_broker(env: Mapping[str, str], log: runner.Log) -> bool:
    """With ``lifetime: job``: have the broker (the one in the state, else this job's, found by its
    labels: :func:`~.broker.stop.discover`) revoke every token it minted and stop; True when each
    broker asked says it did so for all of them."""
    from .broker.launch import ACT_VOLUME
    from .broker.stop import discover, stop

    saved = runner.get_state(env, "broker")
    brokers: list[tuple[str, str]] = []
    if saved:
        try:
            broker = json.loads(saved)
            brokers = [(str(broker["directory"]), str(broker["container"]))]
        except (ValueError, KeyError, TypeError):
            brokers = []
    elif parse_lifetime(env) == "job":  # no state (nektos/act): this job's own brokers, where they live
        brokers = discover(env, [env.get("RUNNER_TEMP", ""), ACT_VOLUME])
    if not brokers:
        return False
    done = True
    for directory, container in brokers:
        stopped = stop(directory, container)
        if stopped.gone is False:
            log.warning(messages.BROKER_STILL_RUNNING.format(container=container[:12] or directory))
        if stopped.revoked is None:
            log.warning(messages.BROKER_NOT_STOPPED.format(problem=stopped.problem))
            done = False
        elif stopped.left_valid:
            log.warning(messages.BROKER_LEFT_VALID.format(revoked=stopped.revoked, left=stopped.left_valid))
            done = False
        else:
            log.info(messages.BROKER_STOPPED.format(revoked=stopped.revoked))
    return done


def parse_lifetime(env: Mapping[str, str]) -> str:
    """The ``lifetime`` input as the post step sees it ("hour" when unreadable)."""
    from .inputs import get_input

    return get_input(env, "lifetime").lower() or "hour"


def revoke_one(
    api: GitHubAPI, token: str, expires_at: str, log: runner.Log, *, owner: str = "", quiet: bool = False
) -> None:
    """Revoke one token; say what happened in one line (a warning only when it stays valid).

    ``quiet``: the token is believed revoked already (the broker said so): GitHub's 401 or 404 for
    it is then no news, and nothing is said.
    """
    try:
        api.revoke_installation_token(token)
    except GitHubAPIError as error:
        if quiet and error.status in (401, 404):
            return
        if error.status == 401:  # already revoked, or expired
            log.info(messages.POST_EXPIRED_OR_REVOKED.format(github_message=error.github_message))
        else:
            reason = f"HTTP {error.status}: {error.github_message}"
            log.warning(messages.POST_REVOKE_FAILED.format(reason=reason, expires_at=expires_at))
    except ActionError as error:
        log.warning(messages.POST_REVOKE_FAILED.format(reason=str(error), expires_at=expires_at))
    else:
        if owner:
            log.info(messages.POST_REVOKED_ONE.format(owner=owner, expires_at=expires_at))
        else:
            log.info(messages.POST_REVOKED)
