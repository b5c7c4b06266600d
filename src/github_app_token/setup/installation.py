"""The app's installation: the page to open, and the bounded wait until it covers what was asked.

The installation page is ``{html_url}/installations/new``; ``…/installations/new/permissions?target_id=ID``
goes straight to one account's (as octokit/app.js links it). The wait asks ``GET /app/installations``
(app JWT) for an installation on the owner and, when it has selected repositories, ``GET
/repos/{owner}/{repo}/installation`` for each repository asked for (200: covered, 404: not), every
:data:`POLL` seconds on the command's clock, until everything is covered or the time is up.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ActionError, GitHubAPIError, NetworkError
from ..inputs import InstallationTarget
from ..retry import SYSTEM_CLOCK, Clock
from . import messages

#: Seconds between two looks at the app's installations.
POLL = 3.0
#: Seconds between two progress lines while nothing changes.
PROGRESS_EVERY = 30.0

if TYPE_CHECKING:
    from ..app_jwt import Signer
    from .client import SetupAPI


class InstallationTimeout(ActionError):
    """The installation did not come, or did not cover every repository, within the time allowed."""

    exit_code = 5


class Installed(NamedTuple):
    """The owner's installation: ``id``, ``repository_selection`` (``all``/``selected``), settings page."""

    id: int
    repository_selection: str
    html_url: str


def install_url(html_url: str, target_id: int | None) -> str:
    """The installation page of the app at ``html_url``; straight to account ``target_id`` when known."""
    if target_id is None:
        return f"{html_url}/installations/new"
    return f"{html_url}/installations/new/permissions?" + urllib.parse.urlencode({"target_id": target_id})


def look(api: SetupAPI, signer: Signer, owner: str, repositories: Sequence[str]) -> tuple[Installed | None, list[str]]:
    """The owner's installation (None when there is none yet), and the repositories it does not cover."""
    found = [item for item in api.list_installations(signer) if item.account_login.casefold() == owner.casefold()]
    if not found:
        return None, list(repositories)
    item = found[0]
    installed = Installed(item.id, item.repository_selection, item.html_url)
    if item.repository_selection == "all":
        return installed, []
    missing = []
    for name in repositories:
        try:
            covering = api.get_installation(InstallationTarget(owner, name), signer)
        except GitHubAPIError as error:
            if error.status != 404:
                raise
            missing.append(name)
            continue
        if covering.id != item.id:
            missing.append(name)
    return installed, missing


def wait(
    api: SetupAPI,
    signer: Signer,
    owner: str,
    repositories: Sequence[str],
    *,
    timeout: float,
    say: Callable[[str], None],
    clock: Clock = SYSTEM_CLOCK,
) -> Installed:
    """Wait until the owner's installation covers ``repositories`` (all of the owner's when empty).

    ``say`` gets a progress line now and then, and a line whenever what is missing changes. A
    passing server or network failure is said and waited out. Raises :class:`InstallationTimeout`
    after ``timeout`` seconds (on ``clock``), naming what is missing; GitHubAPIError for a refusal
    (a 401 for the app JWT, say).
    """
    started = clock.monotonic()
    last_said = started
    last: tuple[bool, tuple[str, ...]] | None = None
    installed: Installed | None = None
    missing: list[str] = list(repositories)
    while True:
        try:
            installed, missing = look(api, signer, owner, repositories)
        except (NetworkError, GitHubAPIError) as error:
            if isinstance(error, GitHubAPIError) and error.status < 500 and not error.rate_limited:
                raise
            say(messages.WAIT_PROBLEM.format(problem=error))
        else:
            if installed is not None and not missing:
                return installed
            state = (installed is not None, tuple(missing))
            if state != last and installed is not None:
                say(
                    messages.WAIT_MISSING.format(
                        owner=owner, missing=", ".join(missing), url=installed.html_url or "its settings page"
                    )
                )
                last_said = clock.monotonic()
            last = state
        now = clock.monotonic()
        if now - started >= timeout:
            break
        if now - last_said >= PROGRESS_EVERY:
            say(messages.WAIT_PROGRESS.format(elapsed=round(now - started), timeout=round(timeout)))
            last_said = now
        clock.sleep(min(POLL, max(0.0, timeout - (now - started))))
    if installed is None:
        raise InstallationTimeout(messages.INSTALL_TIMEOUT_NONE.format(owner=owner, seconds=round(timeout)))
    raise InstallationTimeout(
        messages.INSTALL_TIMEOUT_MISSING.format(
            owner=owner, missing=", ".join(missing), url=installed.html_url or "its settings page"
        )
    )
