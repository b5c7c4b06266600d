"""The user's token for the storing calls, where it came from, and whether it may do what was asked.

Found as the GitHub CLI finds its own (gh's manual, "gh help environment"): for github.com
``GH_TOKEN``, then ``GITHUB_TOKEN``; for GitHub Enterprise Server ``GH_ENTERPRISE_TOKEN``, then
``GITHUB_ENTERPRISE_TOKEN``; else ``gh auth token --hostname HOST`` when gh is installed.

What it may do (GitHub Docs, REST API "Actions secrets" and "Actions variables"): a classic token
(personal access token or gh's OAuth token, whose scopes GitHub lists in ``X-OAuth-Scopes``) needs
``repo`` for a repository's secrets and variables and ``admin:org`` for an organization's. A
fine-grained token has no scopes header; whether it may is learnt by reading the secrets' public key
(repository permission "Secrets", organization permission "Secrets"), done for every target anyway.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping
from typing import NamedTuple

from ..errors import InputError
from . import messages
from .endpoints import Endpoints

#: Seconds ``gh auth token`` may take.
GH_TIMEOUT = 20


class UserToken(NamedTuple):
    """The token (never shown: see ``__repr__``) and its ``source``: a variable's name or ``gh auth token``."""

    value: str
    source: str

    def __repr__(self) -> str:
        return f"UserToken(value='***', source={self.source!r})"


Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _run_gh(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=GH_TIMEOUT, check=False)


def variables_for(endpoints: Endpoints) -> tuple[str, ...]:
    """The environment variables gh reads its token from, for this server, in order."""
    if endpoints.enterprise:
        return ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
    return ("GH_TOKEN", "GITHUB_TOKEN")


def find(
    environ: Mapping[str, str],
    endpoints: Endpoints,
    *,
    which: Callable[[str], str | None] = shutil.which,
    run: Runner = _run_gh,
) -> UserToken:
    """The user's token, or InputError saying where it was looked for and how to give one."""
    names = variables_for(endpoints)
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return UserToken(value, name)
    gh = which("gh")
    if gh:
        try:
            done = run([gh, "auth", "token", "--hostname", endpoints.host])
        except (OSError, subprocess.SubprocessError):
            done = None
        value = done.stdout.strip() if done is not None and done.returncode == 0 else ""
        if value and len(value.split()) == 1:
            return UserToken(value, "gh auth token")
        raise InputError(messages.NO_USER_TOKEN_GH.format(variables=" or ".join(names), host=endpoints.host))
    raise InputError(messages.NO_USER_TOKEN.format(variables=" or ".join(names), host=endpoints.host))


def missing_scopes(scopes: frozenset[str], repositories: bool, organization: bool) -> list[str]:
    """The classic scopes needed and not granted: ``repo`` for repository secrets, ``admin:org`` for
    organization ones (``write:org`` does not cover secrets)."""
    missing = []
    if repositories and "repo" not in scopes:
        missing.append("repo")
    if organization and "admin:org" not in scopes:
        missing.append("admin:org")
    return missing


def scope_fix(token: UserToken, missing: list[str], endpoints: Endpoints) -> str:
    """The exact command or step that grants ``missing`` to a token from ``token.source``."""
    scopes = ",".join(missing)
    host = f" -h {endpoints.host}" if endpoints.enterprise else ""
    refresh = f"gh auth refresh{host} -s {scopes}"
    if token.source == "gh auth token":
        return messages.FIX_GH_REFRESH.format(command=refresh)
    return messages.FIX_ENV_TOKEN.format(variable=token.source, scopes=scopes, command=refresh)
