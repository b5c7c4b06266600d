"""The GitHub App manifest, the app name's rules, and the address of the creation form.

Source: GitHub Docs, "Registering a GitHub App from a manifest": the manifest's parameters (``name``
at most 34 characters, ``url`` required, ``hook_attributes`` whose ``url`` is required when the
object is given, ``redirect_url``, ``description``, ``public``, ``default_permissions``,
``default_events``), and the form: a POST of the field ``manifest`` (JSON) to
``{server}/settings/apps/new?state=…`` for a personal account, or
``{server}/organizations/{org}/settings/apps/new?state=…`` for an organization. GitHub Docs,
"Registering a GitHub App": the name is shown lowercased, with spaces and special characters
replaced by ``-`` (the app's slug).
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from typing import Any

from ..errors import InputError
from . import messages

#: GitHub's limit on an app's name.
MAX_NAME = 34
#: Characters an app name may hold besides letters and digits (any script).
NAME_PUNCTUATION = frozenset(" -_.")


def slug_of(name: str) -> str:
    """The slug GitHub makes of ``name``: lowercase ASCII, each run of other characters a ``-``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")


def check_name(name: str) -> str:
    """``name`` trimmed, when GitHub would take it as an app name; InputError naming ``--name`` otherwise.

    At most :data:`MAX_NAME` characters; letters, digits, spaces, ``-``, ``_`` and ``.``; at least one
    ASCII letter or digit (so that the slug is not empty).
    """
    trimmed = name.strip()
    if not trimmed:
        raise InputError(messages.NAME_EMPTY)
    if len(trimmed) > MAX_NAME:
        raise InputError(messages.NAME_TOO_LONG.format(length=len(trimmed), limit=MAX_NAME, name=trimmed[:60]))
    bad = sorted({ch for ch in trimmed if not (ch.isalnum() or ch in NAME_PUNCTUATION)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise InputError(messages.NAME_CHARACTERS.format(characters=shown))
    if not slug_of(trimmed):
        raise InputError(messages.NAME_NO_SLUG.format(name=trimmed))
    return trimmed


def default_name(owner: str) -> str:
    """The name used without ``--name``: ``{owner} workflows`` (shortened to fit :data:`MAX_NAME`)."""
    suffix = " workflows"
    return owner[: MAX_NAME - len(suffix)] + suffix


def build(
    *,
    name: str,
    homepage: str,
    permissions: dict[str, str],
    redirect_url: str,
    public: bool = False,
    description: str = "",
) -> dict[str, Any]:
    """The manifest: no webhook (``hook_attributes`` left out: GitHub refuses one without a ``url``),
    no events, ``default_permissions`` as asked (``{name: level}``)."""
    manifest: dict[str, Any] = {
        "name": name,
        "url": homepage,
        "redirect_url": redirect_url,
        "public": public,
        "default_permissions": dict(permissions),
        "default_events": [],
    }
    if description:
        manifest["description"] = description
    return manifest


def form_action(web: str, organization: str | None, state: str) -> str:
    """Where the form posts the manifest: the personal account's settings, or ``organization``'s."""
    where = f"/organizations/{urllib.parse.quote(organization)}" if organization else ""
    return f"{web}{where}/settings/apps/new?state={urllib.parse.quote(state)}"
