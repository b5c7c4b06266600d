"""Inputs the runner passed although action.yml does not declare them: typos, and other actions' names.

The runner passes every ``with:`` entry to a Docker action as ``INPUT_<NAME>``, declared or not, and
only warns "Unexpected input(s)" (actions/runner ``ActionRunner.cs``; not even that for a
``docker://`` reference). An undeclared permission input is worse than useless: the token gets every
permission of the installation. So a name that looks like a permission, or like an input of another
token action (``tibdex/github-app-token``, ``peter-murray/workflow-application-token-action``, the
official action's older underscore names), stops the step before any request, saying what to write
instead (the README's migration tables); any other unknown name gets one warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from . import messages
from .errors import InputError
from .inputs import shown
from .names import PERMISSION_PREFIX
from .permission_levels import PERMISSION_LEVELS

#: The inputs action.yml declares (a test keeps this in step with action.yml).
DECLARED = frozenset(
    {
        "client-id",
        "app-id",
        "private-key",
        "app-jwt",
        "owner",
        "repositories",
        "repository-ids",
        "enterprise",
        "installation-id",
        "bot-identity",
        "skip-without-credentials",
        "skip-token-revoke",
        "github-api-url",
        "ca-bundle",
        "lifetime",
        "lifetime-fallback",
        "lifetime-limit-minutes",
    }
    | {PERMISSION_PREFIX + name.replace("_", "-") for name in PERMISSION_LEVELS}
)

#: Inputs a Docker action's container always receives (``with: entrypoint`` / ``args``).
RUNNER_INPUTS = frozenset({"entrypoint", "args"})

#: Other token actions' inputs (lower case, as the runner upper-cases them) and what to write here.
FOREIGN = {
    # actions/create-github-app-token before v2 (deprecated, then removed), and tibdex/github-app-token.
    "app_id": "app-id: <the same value> (or client-id: with the app's client ID)",
    "private_key": "private-key: <the same value>",
    "skip_token_revoke": "skip-token-revoke: <the same value>",
    # tibdex/github-app-token
    "installation_retrieval_mode": (
        "owner: NAME (modes organization and user), owner: OWNER with repositories: REPO (mode "
        "repository), or installation-id: N (mode id)"
    ),
    "installation_retrieval_payload": "owner, repositories or installation-id (see installation_retrieval_mode)",
    "github_api_url": "github-api-url: <the same value>",
    "revoke": "skip-token-revoke: true in place of revoke: false (the token is revoked unless told otherwise)",
    # peter-murray/workflow-application-token-action
    "application_id": "app-id: <the same value> (or client-id: with the app's client ID)",
    "application_private_key": "private-key: <the same value>",
    "organization": "owner: <the same value>",
    "github_api_base_url": "github-api-url: <the same value>",
    "revoke_token": "nothing: the token is revoked unless skip-token-revoke: true",
    "https_proxy": "an HTTPS_PROXY environment variable on the step (env:), which the action honours",
    "ignore_environment_proxy": "NO_PROXY, or an env: without HTTPS_PROXY",
}


def undeclared(env: Mapping[str, str]) -> list[str]:
    """The names of the ``INPUT_*`` variables action.yml does not declare (lower case), in order."""
    declared = {name.upper() for name in DECLARED | RUNNER_INPUTS}
    return sorted(
        variable[len("INPUT_") :].lower()
        for variable in env
        if variable.startswith("INPUT_") and variable[len("INPUT_") :] not in declared
    )


def _permission_lines(value: str) -> str:
    """``permission-NAME: LEVEL`` lines for a tibdex-style ``{"contents": "read"}`` or a peter-murray
    style ``contents:read,issues:write`` value ("" when it is neither)."""
    pairs: list[tuple[str, str]] = []
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        pairs = [(str(name), str(level)) for name, level in parsed.items()]
    elif re.fullmatch(r"\s*[A-Za-z_-]+\s*:\s*[a-z]+\s*(,\s*[A-Za-z_-]+\s*:\s*[a-z]+\s*)*", value or ""):
        pairs = [tuple(part.split(":", 1)) for part in value.split(",")]  # type: ignore[misc]
    lines = [f"{PERMISSION_PREFIX}{name.strip().replace('_', '-')}: {level.strip()}" for name, level in pairs]
    return shown("; ".join(lines[:10]), 400)


def _as_permission(name: str) -> str:
    """The declared permission input a misspelt name means (``permissions_contents`` -> ``permission-contents``)."""
    normalised = re.sub(r"^permissions?[-_]", PERMISSION_PREFIX, name.replace("_", "-"))
    return normalised if normalised in DECLARED else ""


#: Values that only a permission input takes.
LEVELS = frozenset(level for levels in PERMISSION_LEVELS.values() for level in levels)


def _close_to_permission(name: str, value: str) -> str:
    """The permission input an undeclared ``name`` was probably meant to be ("" when none): a bare
    permission name (``contents``), one behind a misspelt or other prefix (``permision-contents``,
    ``perms-contents``, ``scope-contents``), or any name whose value is a permission level."""
    import difflib  # only for undeclared inputs

    parts = re.split(r"[-_]", name)
    for start in range(len(parts)):
        permission = "_".join(parts[start:])
        if permission not in PERMISSION_LEVELS:
            continue
        prefix = "-".join(parts[:start])
        if (
            not prefix
            or value.strip().lower() in LEVELS
            or difflib.get_close_matches(prefix, ["permission"], cutoff=0.5)
        ):
            return PERMISSION_PREFIX + permission.replace("_", "-")
    return ""


def check(env: Mapping[str, str]) -> list[str]:
    """Stop the step (InputError) for an undeclared input that looks like a permission or another
    action's input; return the other undeclared names, for one warning."""
    others: list[str] = []
    for name in undeclared(env):
        value = env.get("INPUT_" + name.upper(), "")
        if name in FOREIGN:
            raise InputError(messages.FOREIGN_INPUT.format(name=name, fix=FOREIGN[name]))
        if name.startswith(PERMISSION_PREFIX):
            continue  # permission-<typo>: the permission parser names the permission meant
        if "permission" in name:
            meant = _as_permission(name)
            if meant:
                fix = f"{meant}: {shown(value.strip()) or 'LEVEL'}"
            elif name == "permissions":
                fix = (
                    _permission_lines(value)
                    or "one permission-<name> input per permission, e.g. permission-contents: read"
                )
            else:
                fix = "the permission-<name> inputs listed in the README, e.g. permission-contents: read"
            raise InputError(messages.PERMISSION_TYPO.format(name=name, fix=fix))
        meant = _close_to_permission(name, value)
        if meant:
            raise InputError(
                messages.PERMISSION_TYPO.format(name=name, fix=f"{meant}: {shown(value.strip()) or 'LEVEL'}")
            )
        if value.strip().lower() in LEVELS:
            fix = "the permission-<name> input for it, as listed in the README, e.g. permission-contents: read"
            raise InputError(messages.PERMISSION_TYPO.format(name=name, fix=fix))
        others.append(name)
    return others
