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


def describe(values: object, empty: str) -> str:
    """``{"a": "read"}`` -> ``a=read``; ``["x", "y"]`` -> ``x, y``; nothing -> ``empty``."""
    if isinstance(values, dict):
        return ", ".join(f"{name}={level}" for name, level in values.items()) or empty
    if isinstance(values, (list, tuple)):
        return ", ".join(str(value) for value in values) or empty
    return empty


def repositories_text(token: InstallationToken) -> str:
    if token.repositories is not None and token.repository_selection == "selected":
        return describe(token.repositories, "none")
    return "all repositories of the installation"


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
