"""The core: turn "what to mint" into installation access tokens, explain GitHub's refusals, revoke.

Shared by the action's steps (``main``, ``post``) and the command-line tool (``cli``), which only
translate between their front end and this module. For each owner: find the installation, then
create the token (two requests; one with a known installation ID). Several owners are minted with
at most :data:`OWNERS_IN_FLIGHT` at once. All or nothing: when any owner fails, every token
already created is revoked, and one error names each owner that failed and why.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from . import messages, report
from .cancel import Cancelled
from .errors import ActionError, GitHubAPIError
from .names import ACTION_NAMES, Names

if TYPE_CHECKING:
    from .app_jwt import Signer
    from .github_api import GitHubAPI, Installation, InstallationSummary, InstallationToken
    from .inputs import MainInputs, TokenScope

#: Pages of ``GET /app/installations`` (100 each) read to explain a 404, at most.
LISTING_PAGES = 10

#: Owners minted at once. Measured (bench/run, 0.1 s per request): 3 owners take 0.61 s one at a
#: time and 0.21 s four at a time; 10 owners 2.04 s and 0.62 s. Kept small: GitHub caps the
#: requests in flight per client (secondary rate limits), and a matrix multiplies them.
OWNERS_IN_FLIGHT = 4


class MintRequest(NamedTuple):
    """What to mint: who signs (``signer``, named by the input ``issuer_input``), for which
    owners, repositories and permissions (``scopes``, one per owner, in order), with which
    installation when known (``installation_id``, one owner only), the web URL of the
    GitHub instance (``server_url``, for install links), and how messages name the inputs
    (``names``: the action's, or the CLI's options)."""

    signer: Signer
    issuer_input: str
    scopes: tuple[TokenScope, ...]
    server_url: str
    installation_id: int | None = None
    names: Names = ACTION_NAMES


class Minted(NamedTuple):
    """One owner's token: its scope (``scope.target.owner`` as written), installation and token."""

    scope: TokenScope
    installation: Installation
    token: InstallationToken

    @property
    def owner(self) -> str:
        return self.scope.target.owner


class InstallationRefused(ActionError):
    """The installation record says GitHub would refuse the token (suspended, permissions not granted)."""

    exit_code = 3


class MintFailed(ActionError):
    """At least one owner failed; every token created was revoked (unless that failed too)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def signer_for(app_jwt: str, issuer: str, private_key: str, names: Names = ACTION_NAMES) -> Signer:
    """Who signs: the app JWT given (its claims checked now), else the private key (read and checked
    now) for ``issuer`` (the client ID or app ID).

    Raises InputError for an unusable key or app JWT, before any request; ``names`` words it.
    """
    if app_jwt:
        from .app_jwt import read_app_jwt

        return read_app_jwt(app_jwt, names=names)
    from .app_jwt import AppAuth
    from .private_key import load_private_key

    return AppAuth(issuer, load_private_key(private_key, names))


def request_for(inputs: MainInputs, server: str, runner_api_url: str = "") -> MintRequest:
    """What the parsed inputs ask to mint; ``server`` is ``GITHUB_SERVER_URL`` ("" to derive it) and
    ``runner_api_url`` ``GITHUB_API_URL``, the instance the workflow runs on.

    Reads and checks the credentials now (:func:`signer_for`): raises InputError before any request.
    """
    web = server_url(server, inputs.api_url, runner_api_url)
    signer = signer_for(inputs.app_jwt, inputs.issuer, inputs.private_key, inputs.names)
    return MintRequest(signer, inputs.issuer_input, inputs.scopes, web, inputs.installation_id, inputs.names)


def server_url(server: str, api_url: str, runner_api_url: str = "") -> str:
    """The web URL of the GitHub instance whose API is ``api_url`` (for install links and git).

    ``server`` (``GITHUB_SERVER_URL``) when the API is the runner's own (``runner_api_url``,
    ``GITHUB_API_URL``; or when that is not known); otherwise derived from the API URL, as GitHub
    lays them out: ``https://api.HOST`` and ``https://HOST/api/v3`` both serve ``https://HOST``.
    """
    same_instance = not runner_api_url or runner_api_url.strip().rstrip("/") == api_url.rstrip("/")
    if server.strip() and same_instance:
        return server.strip().rstrip("/")
    parts = urllib.parse.urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc.removeprefix('api.')}"


# --- GitHub's refusals, explained --------------------------------------------------------------
#: Seconds of clock difference under which GitHub's and the runner's clocks are said to agree.
CLOCKS_AGREE = 30


def unauthorized(error: GitHubAPIError, request: MintRequest, api: GitHubAPI) -> GitHubAPIError:
    """A refusal of the app JWT, explained by what GitHub's message is about.

    - its times (GitHub's ``'Issued at' claim ...`` / ``'Expiration time' claim ...`` messages,
      after the clock correction, if any, failed too): the clocks, or an app JWT signed with wrong
      times, never the key;
    - an unknown app (``Integration not found``, ``'Issuer' claim ('iss') must be ...``): the ID;
    - otherwise (``A JSON web token could not be decoded``, ``Bad credentials``): the ID and the
      key do not belong together, or the given JWT was signed by another key.

    Sources: GitHub Docs, "Generating a JSON Web Token (JWT) for a GitHub App"; GitHub's answers
    recorded in octokit/auth-app.js, actions/create-github-app-token and probot issues.
    """
    from .github_api import CLOCK_MESSAGES, UNKNOWN_APP_MESSAGES

    signer, names = request.signer, request.names
    issuer_input = names[request.issuer_input]
    github_message = error.github_message
    offset = round(api.server_offset)
    if github_message.startswith(CLOCK_MESSAGES):
        if not signer.can_resign and abs(offset) > CLOCKS_AGREE:
            direction = "ahead of" if offset >= 0 else "behind"
            template = messages.APP_JWT_CLOCK
            return error.explained(
                template.format(github_message=github_message, offset=abs(offset), direction=direction, inputs=names)
            )
        template = messages.JWT_TIMES_REJECTED if signer.can_resign else messages.APP_JWT_TIMES
        return error.explained(template.format(github_message=github_message, offset=abs(offset), inputs=names))
    if github_message.startswith(UNKNOWN_APP_MESSAGES) and signer.can_resign:
        return error.explained(
            messages.UNKNOWN_APP.format(
                github_message=github_message, status=error.status, issuer_input=issuer_input, issuer=signer.issuer
            )
        )
    if signer.can_resign:
        message = messages.UNAUTHORIZED.format(
            github_message=github_message, issuer_input=issuer_input, issuer=signer.issuer, inputs=names
        )
        fingerprint = getattr(signer, "fingerprint", None)
        if callable(fingerprint):
            message += " " + messages.KEY_FINGERPRINT.format(fingerprint=fingerprint())
        return error.explained(message)
    return error.explained(
        messages.APP_JWT_REJECTED.format(github_message=github_message, issuer=signer.issuer, inputs=names)
    )


def is_unknown_app(error: GitHubAPIError) -> bool:
    """GitHub's 404 for an app JWT whose ``iss`` names no app (``Integration not found``)."""
    from .github_api import UNKNOWN_APP_MESSAGES

    return error.status == 404 and error.github_message.startswith(UNKNOWN_APP_MESSAGES)


def explain_lookup_failure(
    error: GitHubAPIError, scope: TokenScope, request: MintRequest, api: GitHubAPI
) -> GitHubAPIError:
    """Turn a failed installation lookup into the message that says how to fix it.

    A 404, and only a 404, costs the app's installations listing (``GET /app/installations``, at
    most :data:`LISTING_PAGES` pages): it says where the app is installed, suggests the owner meant
    when the one asked for looks like a typo, and tells a repository that is not selected for its
    owner's installation from an owner without one. ``GET /app`` is asked only when the listing
    gives no app slug for the install link.
    """
    if error.status == 401 or is_unknown_app(error):
        return unauthorized(error, request, api)
    if error.status != 404 or error.rate_limited:
        return error
    target = scope.target
    try:
        installations: list[InstallationSummary] | None = api.list_installations(request.signer, LISTING_PAGES)
    except ActionError:
        installations = None
    found = installations or []
    slug = next((item.app_slug for item in found if item.app_slug), "")
    if not slug:
        try:
            slug = str(api.get_app(request.signer).get("slug") or "")
        except ActionError:
            slug = ""
    if target.repository:
        where = messages.INSTALLATION_NOT_FOUND_REPO.format(owner=target.owner, repository=target.repository)
    else:
        where = messages.INSTALLATION_NOT_FOUND_OWNER.format(owner=target.owner)
    fix = messages.INSTALL_FIX_NO_SLUG
    if slug:
        url = f"{request.server_url}/apps/{urllib.parse.quote(slug)}/installations/new"
        fix = messages.INSTALL_FIX_WITH_SLUG.format(url=url)
    own = [item for item in found if item.account_login.casefold() == target.owner.casefold()]
    if installations is None:
        facts = ""
    elif target.repository and own:
        facts = messages.INSTALLED_BUT_NOT_SELECTED.format(
            owner=own[0].account_login, repository=target.repository, url=own[0].html_url or "its settings page"
        )
    elif found:
        facts = installed_elsewhere(target.owner, [item.account_login for item in found])
    else:
        facts = messages.NOT_INSTALLED_ANYWHERE
    message = messages.INSTALLATION_NOT_FOUND.format(where=where, path=error.path, fix=fix)
    return error.explained(f"{message} {facts}".rstrip())


def installed_elsewhere(owner: str, accounts: list[str]) -> str:
    """Where the app is installed (at most 10 accounts named), and the account meant if ``owner`` is a near miss."""
    import difflib  # only on this failure path

    shown = ", ".join(f"'{account}'" for account in accounts[:10])
    more = f" and {len(accounts) - 10} more" if len(accounts) > 10 else ""
    close = difflib.get_close_matches(owner.casefold(), [a.casefold() for a in accounts], n=1, cutoff=0.7)
    meant = next((a for a in accounts if close and a.casefold() == close[0]), "")
    guess = messages.DID_YOU_MEAN.format(owner=meant) if meant else ""
    return messages.INSTALLED_ELSEWHERE.format(count=len(accounts), accounts=shown + more) + guess


def check_installation(installation: Installation, scope: TokenScope, request: MintRequest) -> None:
    """Refuse, before asking for a token, what the installation record already says GitHub would refuse.

    A suspended installation (``suspended_at``), or permissions asked for that the installation
    was not granted, or granted at a lower level (read < write < admin). Raises
    :class:`InstallationRefused`; costs no request (the lookup's record has both).
    """
    owner = scope.target.owner
    if installation.suspended_at:
        by = f", by '{installation.suspended_by}'" if installation.suspended_by else ""
        raise InstallationRefused(
            messages.INSTALLATION_SUSPENDED.format(
                owner=owner, id=installation.id, when=installation.suspended_at, by=by, url=installation.html_url
            )
        )
    granted = installation.permissions
    if granted is None or not scope.permissions:
        return
    rank = {"read": 1, "write": 2, "admin": 3}
    missing = [
        f"{name}: {level} asked, {granted.get(name, 'none')} granted"
        for name, level in scope.permissions.items()
        if rank.get(level, 0) > rank.get(granted.get(name, ""), 0)
    ]
    if missing:
        app = installation.app_slug or "the app"
        raise InstallationRefused(
            messages.PERMISSIONS_NOT_GRANTED.format(
                owner=owner,
                missing="; ".join(missing),
                app=app,
                url=installation.html_url or "its settings page",
                inputs=request.names,
            )
        )


def explain_create_failure(
    error: GitHubAPIError, scope: TokenScope, request: MintRequest, api: GitHubAPI
) -> GitHubAPIError:
    """Turn a refused token creation into a message that repeats what was asked for."""
    if error.status == 401 or is_unknown_app(error):
        return unauthorized(error, request, api)
    if error.rate_limited:
        return error
    if error.status == 404 and request.installation_id is not None:
        return error.explained(
            messages.INSTALLATION_ID_NOT_FOUND.format(installation_id=request.installation_id, inputs=request.names)
        )
    if error.status not in (403, 404, 422):
        return error
    asked = [*(scope.repositories or ()), *(f"ID {number}" for number in scope.repository_ids)]
    everything = "all of the installation's"
    return error.explained(
        messages.CREATE_REFUSED.format(
            status=error.status,
            github_message=error.github_message,
            repositories=report.capped(asked, everything),
            permissions=report.describe(scope.permissions, everything),
            owner=scope.target.owner,
        )
    )


# --- minting -------------------------------------------------------------------------------------
def mint_one(scope: TokenScope, request: MintRequest, api: GitHubAPI) -> tuple[Installation, InstallationToken]:
    """Find one owner's installation, then create its token. Raises the explained GitHubAPIError."""
    from .github_api import Installation

    if request.installation_id is not None:
        # The caller knows the installation: no lookup, so the app's slug stays unknown.
        installation = Installation(request.installation_id, "", scope.target.owner, "")
    else:
        try:
            installation = api.get_installation(scope.target, request.signer)
        except GitHubAPIError as error:
            raise explain_lookup_failure(error, scope, request, api) from None
        check_installation(installation, scope, request)
    try:
        token = api.create_installation_token(installation.id, request.signer, scope.request_body())
    except GitHubAPIError as error:
        raise explain_create_failure(error, scope, request, api) from None
    return installation, token


def mint(
    request: MintRequest,
    api: GitHubAPI,
    *,
    on_token: Callable[[str], None] | None = None,
    in_flight: int = OWNERS_IN_FLIGHT,
) -> list[Minted]:
    """Mint one token per scope, in the scopes' order; all or nothing.

    ``on_token`` receives each token the moment GitHub returns it (the action masks it there,
    before anything else can print it). With one owner, its error is raised as is. With several,
    a failure of any revokes every token created and raises :class:`MintFailed` naming each
    owner that failed and why; a cancellation (the API's, see :mod:`github_app_token.cancel`)
    revokes them too and raises :class:`Cancelled` saying so. Raises ActionError subclasses only.
    """

    def one(scope: TokenScope) -> Minted | ActionError:
        try:
            installation, token = mint_one(scope, request, api)
        except ActionError as error:
            return error
        except Exception as error:  # noqa: BLE001 - a bug here must still let the others' tokens be revoked
            return ActionError(messages.UNEXPECTED.format(kind=type(error).__name__))
        if on_token is not None:
            try:
                on_token(token.token)
            except Exception as error:  # noqa: BLE001 - e.g. OSError of a closed log: the token must not stay valid
                left = revoke(api, [token.token])[0]
                return ActionError(
                    messages.MASK_FAILED.format(
                        kind=type(error).__name__, what="and revoking it failed too" if left else "so it was revoked"
                    )
                )
        return Minted(scope, installation, token)

    scopes = request.scopes
    if len(scopes) == 1:
        results = [one(scopes[0])]
    else:
        from concurrent.futures import ThreadPoolExecutor  # only with several owners

        with ThreadPoolExecutor(max_workers=max(1, min(in_flight, len(scopes)))) as pool:
            results = list(pool.map(one, scopes))
    minted = [result for result in results if isinstance(result, Minted)]
    failed = [(scope, result) for scope, result in zip(scopes, results, strict=True) if isinstance(result, ActionError)]
    if not failed:
        return minted
    cancelled = next((error for _, error in failed if isinstance(error, Cancelled)), None)
    if cancelled is not None:
        problems = revoke(api, [item.token.token for item in minted])
        note = cancelled_note(len(minted), sum(problem is not None for problem in problems))
        raise Cancelled(f"{cancelled} {note}", cancelled.signal_name, cancelled.exit_code - 128)
    if len(scopes) == 1:
        raise failed[0][1]
    unrevoked = [
        item.owner
        for item, problem in zip(minted, revoke(api, [m.token.token for m in minted]), strict=True)
        if problem
    ]
    reasons = " ".join(f"'{scope.target.owner}': {error}" for scope, error in failed)
    owners = ", ".join(f"'{scope.target.owner}'" for scope, _ in failed)
    message = messages.OWNERS_FAILED.format(owners=owners, failed=len(failed), total=len(scopes), reasons=reasons)
    if minted:
        message += " " + (
            messages.OTHERS_REVOKED
            if not unrevoked
            else messages.OTHERS_NOT_REVOKED.format(owners=", ".join(f"'{owner}'" for owner in unrevoked))
        )
    raise MintFailed(message, failed[0][1].exit_code)


def cancelled_note(created: int, unrevoked: int) -> str:
    """What a cancellation did to the tokens: ``created`` made, of which ``unrevoked`` stay valid."""
    if not created:
        return messages.CANCELLED_NONE
    if not unrevoked:
        return messages.CANCELLED_REVOKED.format(count=created)
    return messages.CANCELLED_NOT_REVOKED.format(count=created, failed=unrevoked)


def revoke(api: GitHubAPI, tokens: Iterable[str]) -> list[ActionError | None]:
    """``DELETE /installation/token`` for each token; the problem of each (None when revoked)."""
    problems: list[ActionError | None] = []
    for token in tokens:
        try:
            api.revoke_installation_token(token)
        except ActionError as error:
            problems.append(error)
        else:
            problems.append(None)
    return problems


def clock_note(signer: Signer) -> str:
    """The warning for a runner whose clock GitHub's answers had to correct ("" when none was needed)."""
    offset = round(signer.clock_offset)
    if not signer.can_resign or not offset:
        return ""
    return messages.CLOCK_CORRECTED.format(seconds=abs(offset), direction="behind" if offset > 0 else "ahead of")


def bot_user_id(
    api: GitHubAPI, installation: Installation, token: InstallationToken, names: Names = ACTION_NAMES
) -> tuple[int | None, str]:
    """The app's bot user ID, looked up with the new token: ``(id, "")``, or ``(None, why not)``."""
    if not installation.app_slug:
        return None, messages.BOT_IDENTITY_NO_SLUG.format(inputs=names)
    login = f"{installation.app_slug}[bot]"
    try:
        return api.get_user_id(login, token.token), ""
    except GitHubAPIError as error:
        reason = f"HTTP {error.status}: {error.github_message}"
    except ActionError as error:
        reason = str(error)
    return None, messages.BOT_LOOKUP_FAILED.format(login=login, reason=reason)
