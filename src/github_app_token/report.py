"""What the main step tells people: one log line per token, the step summary, the outputs and state.

None of these ever contains a token, except ``outputs`` (under ``token`` and ``tokens``) and
``state`` (for the post step).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .broker.launch import Broker
    from .core import Minted
    from .github_api import InstallationToken


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


def capped(names: list[str] | tuple[str, ...], empty: str) -> str:
    """Names for people: at most :data:`SHOWN_REPOSITORIES` of them, then a count (``empty`` for none)."""
    shown = describe(list(names[:SHOWN_REPOSITORIES]), empty)
    hidden = len(names) - SHOWN_REPOSITORIES
    return f"{shown} and {hidden} more ({len(names)} in all)" if hidden > 0 else shown


def repositories_text(token: InstallationToken) -> str:
    """The token's repositories for people: at most :data:`SHOWN_REPOSITORIES` names, then a count."""
    if token.repositories is None or token.repository_selection != "selected":
        return "all repositories of the installation"
    return capped(token.repositories, "none")


def summary_line(minted: Minted) -> str:
    """One readable log line about a created token."""
    installation, token = minted.installation, minted.token
    app = f", app {installation.app_slug}" if installation.app_slug else ""
    return (
        f"Created an installation access token for {installation.account_login} "
        f"(installation {installation.id}{app}): repositories: {repositories_text(token)}; "
        f"permissions: {describe(token.permissions, 'none')}; expires at {token.expires_at}."
    )


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def installation_details(minted: Minted) -> dict[str, object]:
    """One owner's entry of the ``installations`` output."""
    return {
        "installation_id": minted.installation.id,
        "app_slug": minted.installation.app_slug,
        "expires_at": minted.token.expires_at,
        "permissions": minted.token.permissions,
        "repositories": list(minted.token.repositories or ()),
    }


def outputs(minted: list[Minted], bot: BotIdentity, token_command: str = "") -> dict[str, str]:
    """Every step output, by name (see action.yml): the first owner's, then ``tokens`` and ``installations``;
    ``token-command`` only with ``lifetime: job``."""
    first = minted[0]
    return {
        "token": first.token.token,
        "installation-id": str(first.installation.id),
        "app-slug": first.installation.app_slug,
        "expires-at": first.token.expires_at,
        "permissions": _compact(first.token.permissions),
        "repositories": _compact(list(first.token.repositories or ())),
        "bot-name": bot.name,
        "bot-user-id": bot.user_id,
        "bot-email": bot.email,
        "tokens": _compact({item.owner: item.token.token for item in minted}),
        "installations": _compact({item.owner: installation_details(item) for item in minted}),
        **({"token-command": token_command} if token_command else {}),
    }


def state(minted: list[Minted], clock_offset: float, broker: Broker | None = None) -> dict[str, str]:
    """What the post step needs: the first token as before, and ``tokens`` when there are several;
    ``broker`` (its container and directory) with ``lifetime: job``.

    ``clock-offset`` (GitHub's clock minus ours, seconds) lets post judge expiry on GitHub's time.
    """
    first = minted[0]
    saved = {"token": first.token.token, "expires-at": first.token.expires_at, "clock-offset": str(round(clock_offset))}
    if len(minted) > 1:
        saved["tokens"] = _compact(
            [{"token": m.token.token, "expires-at": m.token.expires_at, "owner": m.owner} for m in minted]
        )
    if broker is not None:
        saved["broker"] = _compact({"container": broker.container, "directory": broker.directory})
    return saved


def _row(cells: list[str]) -> str:
    """One Markdown table row; a ``|`` inside a cell is written as its entity."""
    return "| " + " | ".join(cell.replace("|", "&#124;") for cell in cells) + " |"


def step_summary(minted: list[Minted]) -> str:
    """A small Markdown table for ``$GITHUB_STEP_SUMMARY`` (a row per owner when there are several)."""
    lines = ["### GitHub App installation token" + ("s" if len(minted) > 1 else ""), ""]
    if len(minted) == 1:
        installation, token = minted[0].installation, minted[0].token
        lines += ["| | |", "|---|---|"]
        lines += [
            _row(["App", f"`{installation.app_slug}`" if installation.app_slug else "(not looked up)"]),
            _row(["Installation", f"{installation.id} on `{installation.account_login}`"]),
            _row(["Repositories", repositories_text(token)]),
            _row(["Permissions", describe(token.permissions, "none")]),
            _row(["Expires at", f"{token.expires_at} (UTC)"]),
        ]
        return "\n".join(lines) + "\n\n"
    lines += ["| Owner | Installation | Repositories | Permissions | Expires at (UTC) |", "|---|---|---|---|---|"]
    for item in minted:
        repositories = repositories_text(item.token)
        permissions = describe(item.token.permissions, "none")
        lines.append(
            _row([f"`{item.owner}`", str(item.installation.id), repositories, permissions, item.token.expires_at])
        )
    return "\n".join(lines) + "\n\n"


def failure_summary(message: str) -> str:
    """The step summary of a failed step: the ``::error::`` message's words, split into what went
    wrong (its first sentence) and how to fix it (the rest), with its links made links."""
    import html
    import re

    text = html.escape(message, quote=False)
    split = re.search(r"(?<=[.)])\s+(?=[A-Z'])", text)
    what, fix = (text[: split.start()], text[split.end() :]) if split else (text, "")
    linked = re.sub(r"(https?://[^\s)]+?)([.,;]?(?:\s|$))", r"<\1>\2", fix)
    lines = ["### GitHub App installation token: the step failed", "", f"**What went wrong:** {what}"]
    if fix:
        lines += ["", f"**How to fix it:** {linked}"]
    return "\n".join(lines) + "\n\n"
