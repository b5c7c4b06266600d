"""The action's main step: create the installation access token and hand it over.

Order matters for secrecy: the token is masked (``::add-mask::``) as soon as GitHub
returns it, before it is written to ``GITHUB_OUTPUT`` or ``GITHUB_STATE``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import messages, report, runner
from .errors import ActionError, GitHubAPIError
from .inputs import MainInputs, parse_main_inputs

if TYPE_CHECKING:
    from .app_jwt import AppAuth
    from .github_api import GitHubAPI, Installation, InstallationToken


def server_url(env: Mapping[str, str], api_url: str) -> str:
    """The web URL of the GitHub instance: ``GITHUB_SERVER_URL``, else derived from the API URL."""
    if env.get("GITHUB_SERVER_URL", "").strip():
        return env["GITHUB_SERVER_URL"].strip().rstrip("/")
    parts = urllib.parse.urlsplit(api_url)
    host = parts.netloc.removeprefix("api.")
    return f"{parts.scheme}://{host}"


def unauthorized(error: GitHubAPIError, inputs: MainInputs) -> GitHubAPIError:
    """A 401 for the app JWT: the ID and the key do not belong together (names the ID used)."""
    return error.explained(
        messages.UNAUTHORIZED.format(
            github_message=error.github_message, issuer_input=inputs.issuer_input, issuer=inputs.issuer
        )
    )


def explain_lookup_failure(
    error: GitHubAPIError, inputs: MainInputs, api: GitHubAPI, auth: AppAuth, env: Mapping[str, str]
) -> GitHubAPIError:
    """Turn a failed installation lookup into the message that says how to fix it."""
    if error.status == 401:
        return unauthorized(error, inputs)
    if error.status != 404:
        return error
    target = inputs.scope.target
    if target.repository:
        where = messages.INSTALLATION_NOT_FOUND_REPO.format(owner=target.owner, repository=target.repository)
    else:
        where = messages.INSTALLATION_NOT_FOUND_OWNER.format(owner=target.owner)
    fix = messages.INSTALL_FIX_NO_SLUG
    try:  # Only on this failure path: ask GitHub for the app's slug to link its install page.
        slug = api.get_app(auth).get("slug")
    except ActionError:
        slug = None
    if isinstance(slug, str) and slug:
        url = f"{server_url(env, inputs.api_url)}/apps/{urllib.parse.quote(slug)}/installations/new"
        fix = messages.INSTALL_FIX_WITH_SLUG.format(url=url)
    return error.explained(messages.INSTALLATION_NOT_FOUND.format(where=where, path=error.path, fix=fix))


def explain_create_failure(error: GitHubAPIError, inputs: MainInputs) -> GitHubAPIError:
    """Turn a refused token creation into a message that repeats what was asked for."""
    if error.status == 401:
        return unauthorized(error, inputs)
    if error.status == 404 and inputs.installation_id is not None:
        return error.explained(messages.INSTALLATION_ID_NOT_FOUND.format(installation_id=inputs.installation_id))
    if error.status not in (403, 404, 422):
        return error
    scope = inputs.scope
    return error.explained(
        messages.CREATE_REFUSED.format(
            status=error.status,
            github_message=error.github_message,
            repositories=report.describe(scope.repositories, "all of the installation's"),
            permissions=report.describe(scope.permissions, "all of the installation's"),
            owner=scope.target.owner,
        )
    )


def create_token(
    inputs: MainInputs, api: GitHubAPI, auth: AppAuth, env: Mapping[str, str]
) -> tuple[Installation, InstallationToken]:
    """Find the installation, then create the token: two requests, or one with ``installation-id``."""
    from .github_api import Installation

    if inputs.installation_id is not None:
        # The caller knows the installation: no lookup, so the app's slug stays unknown.
        installation = Installation(inputs.installation_id, "", inputs.scope.target.owner, "")
    else:
        try:
            installation = api.get_installation(inputs.scope.target, auth)
        except GitHubAPIError as error:
            raise explain_lookup_failure(error, inputs, api, auth, env) from None
    try:
        token = api.create_installation_token(installation.id, auth, inputs.scope.request_body())
    except GitHubAPIError as error:
        raise explain_create_failure(error, inputs) from None
    return installation, token


def bot_identity(
    inputs: MainInputs, api: GitHubAPI, installation: Installation, token: InstallationToken, log: runner.Log
) -> report.BotIdentity:
    """Look up the app's bot user with the new token; a failure is a warning, never fatal."""
    if not installation.app_slug:
        log.warning(messages.BOT_IDENTITY_NO_SLUG)
        return report.BotIdentity()
    login = f"{installation.app_slug}[bot]"
    try:
        user_id = api.get_user_id(login, token.token)
    except GitHubAPIError as error:
        log.warning(
            messages.BOT_LOOKUP_FAILED.format(login=login, reason=f"HTTP {error.status}: {error.github_message}")
        )
        return report.BotIdentity.of(installation.app_slug, None)
    except ActionError as error:
        log.warning(messages.BOT_LOOKUP_FAILED.format(login=login, reason=str(error)))
        return report.BotIdentity.of(installation.app_slug, None)
    return report.BotIdentity.of(installation.app_slug, user_id)


def run(env: Mapping[str, str], log: runner.Log | None = None) -> int:
    """Run the main step with the runner's environment ``env``; return the exit code.

    On failure prints exactly one ``::error::`` line and returns 1.
    """
    log = log or runner.Log()
    api: GitHubAPI | None = None
    token: InstallationToken | None = None
    handed_over = False  # True once the post step (or the user) is responsible for the token
    try:
        inputs = parse_main_inputs(env)
        runner.require_file_commands(env, "GITHUB_OUTPUT", *(() if inputs.skip_token_revoke else ("GITHUB_STATE",)))

        from .app_jwt import AppAuth
        from .github_api import GitHubAPI
        from .private_key import load_private_key

        auth = AppAuth(inputs.issuer, load_private_key(inputs.private_key))
        api = GitHubAPI(inputs.api_url, log=log.info, debug=log.debug, ca_bundle=inputs.ca_bundle)
        installation, token = create_token(inputs, api, auth, env)

        log.add_mask(token.token)  # before the token goes anywhere else
        if inputs.bot_identity:
            bot = bot_identity(inputs, api, installation, token, log)
        else:
            bot = report.BotIdentity.of(installation.app_slug, None)
        runner.set_outputs(env, report.outputs(installation, token, bot))
        if not inputs.skip_token_revoke:
            # GitHub's clock offset lets the post step judge expiry on GitHub's time.
            offset = str(round(api.server_offset))
            runner.save_state(env, {"token": token.token, "expires-at": token.expires_at, "clock-offset": offset})
        handed_over = True
        log.info(report.summary_line(installation, token))
        runner.append_summary(env, report.step_summary(installation, token))
    except ActionError as error:
        message = str(error)
    except Exception as error:  # noqa: BLE001 - the one exit path for bugs; no traceback, no secret
        message = messages.UNEXPECTED.format(kind=type(error).__name__)
    else:
        return 0
    finally:
        if api is not None:
            if token is not None and not handed_over:
                discard(api, token.token, log)
            api.close()
    log.error(message)
    return 1


def discard(api: GitHubAPI, token: str, log: runner.Log) -> None:
    """Revoke a token the step failed to hand over (nobody could use or revoke it otherwise)."""
    try:
        api.revoke_installation_token(token)
    except ActionError:
        log.info(messages.DISCARD_FAILED)
    else:
        log.info(messages.DISCARDED)
