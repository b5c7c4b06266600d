"""What the main step tells people: one log line, the step summary, and the outputs.

None of these ever contains the token; ``outputs`` puts it under ``token`` only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .github_api import Installation, InstallationToken


class BotIdentity(NamedTuple):
    """The app's bot user, for commits made with the token (empty strings when unknown)."""

    name: str = ""
    user_id: str = ""
    email: str = ""

    @classmethod
    def of(cls, app_slug: str, user_id: int | None) -> BotIdentity:
        """``<slug>[bot]`` and, with the user id, ``<id>+<slug>[bot]@users.noreply.github.com``."""
        if not app_slug:
            return cls()
        name = f"{app_slug}[bot]"
        if user_id is None:
            return cls(name)
        return cls(name, str(user_id), f"{user_id}+{name}@users.noreply.github.com")


#: At most this many repositories are named in the log line and the step summary; the rest are
#: counted. A token may name 500 repositories of up to 100 characters each, and the runner drops a
#: step summary over 1 MiB; the full list is always in the ``repositories`` output.
SHOWN_REPOSITORIES = 20


def describe(values: object, empty: str) -> str:
    """``{"a": "read"}`` -> ``a=read``; ``["x", "y"]`` -> ``x, y``; nothing -> ``empty``."""
    if isinstance(values, dict):
        return ", ".join(f"{name}={level}" for name, level in values.items()) or empty
    if isinstance(values, (list, tuple)):
        return ", ".join(str(value) for value in values) or empty
    return empty


def repositories_text(token: InstallationToken) -> str:
    """The token's repositories for people: at most :data:`SHOWN_REPOSITORIES` names, then a count."""
    if token.repositories is None or token.repository_selection != "selected":
        return "all repositories of the installation"
    names = token.repositories
    shown = describe(names[:SHOWN_REPOSITORIES], "none")
    hidden = len(names) - SHOWN_REPOSITORIES
    return f"{shown} and {hidden} more ({len(names)} in all)" if hidden > 0 else shown


def summary_line(installation: Installation, token: InstallationToken) -> str:
    """One readable log line about the created token."""
    app = f", app {installation.app_slug}" if installation.app_slug else ""
    return (
        f"Created an installation access token for {installation.account_login} "
        f"(installation {installation.id}{app}): repositories: {repositories_text(token)}; "
        f"permissions: {describe(token.permissions, 'none')}; expires at {token.expires_at}."
    )


def outputs(installation: Installation, token: InstallationToken, bot: BotIdentity) -> dict[str, str]:
    """Every step output, by name (see action.yml)."""
    return {
        "token": token.token,
        "installation-id": str(installation.id),
        "app-slug": installation.app_slug,
        "expires-at": token.expires_at,
        "permissions": json.dumps(token.permissions, separators=(",", ":")),
        "repositories": json.dumps(list(token.repositories or ()), separators=(",", ":")),
        "bot-name": bot.name,
        "bot-user-id": bot.user_id,
        "bot-email": bot.email,
    }


def step_summary(installation: Installation, token: InstallationToken) -> str:
    """A small Markdown table for ``$GITHUB_STEP_SUMMARY``."""
    rows = [
        ("App", f"`{installation.app_slug}`" if installation.app_slug else "(not looked up)"),
        ("Installation", f"{installation.id} on `{installation.account_login}`"),
        ("Repositories", repositories_text(token)),
        ("Permissions", describe(token.permissions, "none")),
        ("Expires at", f"{token.expires_at} (UTC)"),
    ]
    lines = ["### GitHub App installation token", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value.replace('|', '&#124;')} |" for name, value in rows]
    return "\n".join(lines) + "\n\n"
