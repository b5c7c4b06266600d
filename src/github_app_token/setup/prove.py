"""Prove the new credentials: mint a token through the action's own core, then revoke it.

The inputs are built as the CLI's ``create`` builds them (``cli.to_inputs``: the runner's ``INPUT_*``
environment) and read by :func:`github_app_token.inputs.parse_main_inputs`; then
:func:`github_app_token.core.request_for`, :func:`~github_app_token.core.mint` and
:func:`~github_app_token.core.revoke`, exactly what the action's main and post steps call. Once the
token exists it is revoked whatever happens (``finally``); a signal (:mod:`github_app_token.cancel`)
lets the request in flight finish, so that a token GitHub created is known, and revoked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..cancel import Cancellation
from ..core import cancelled_note, mint, request_for, revoke
from ..github_api import GitHubAPI
from ..inputs import parse_main_inputs


class Proof(NamedTuple):
    """The minted token's installation ID, ``expires_at`` (ISO 8601, UTC), ``permissions``, ``repositories``
    (names; None for all of the installation's), and whether it was revoked (``revoke_problem`` "" if so)."""

    installation_id: int
    expires_at: str
    permissions: dict[str, str]
    repositories: tuple[str, ...] | None
    revoke_problem: str


def inputs_for(
    client_id: str, pem: str, owner: str, repositories: Sequence[str], permissions: dict[str, str], api_url: str
) -> dict[str, str]:
    """The action's inputs for a token over ``repositories`` of ``owner`` (all when empty) with ``permissions``."""
    env = {"INPUT_CLIENT-ID": client_id, "INPUT_PRIVATE-KEY": pem, "INPUT_OWNER": owner}
    env["INPUT_GITHUB-API-URL"] = api_url
    if repositories:
        env["INPUT_REPOSITORIES"] = ",".join(repositories)
    for name, level in permissions.items():
        env["INPUT_PERMISSION-" + name.replace("_", "-").upper()] = level
    return env


def prove(api: GitHubAPI, web: str, env: dict[str, str], cancellation: Cancellation | None = None) -> Proof:
    """Mint one token for the inputs ``env`` (``POST /app/installations/{installation_id}/access_tokens``)
    and revoke it (``DELETE /installation/token``), even when an error or a signal comes in between.

    Raises the core's ActionError when GitHub refuses; :class:`github_app_token.cancel.Cancelled` when
    ``cancellation`` (``api``'s) was set by a signal, saying whether a token was created and revoked.
    """
    request = request_for(parse_main_inputs(env), web)
    (minted,) = mint(request, api)  # Cancelled from here: no token was created
    token = minted.token
    try:
        proof = Proof(minted.installation.id, token.expires_at, dict(token.permissions), token.repositories, "")
    finally:  # the token exists: whatever comes now (an error, Ctrl-C), it is revoked
        (problem,) = revoke(api, [token.token])
    if cancellation is not None and cancellation.cancelled:
        raise cancellation.error(cancelled_note(1, int(problem is not None)))
    return proof._replace(revoke_problem=str(problem) if problem is not None else "")
