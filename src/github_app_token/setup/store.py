"""Actions secrets and variables, in repositories or an organization.

A secret is sent encrypted for the repository's or organization's public key
(``GET …/actions/secrets/public-key``: ``key_id`` and the base64 Curve25519 ``key``) as a libsodium
sealed box, base64 (PyNaCl's ``SealedBox``), with ``PUT …/actions/secrets/{name}`` (201 created,
204 updated). A variable is created with ``POST …/actions/variables``, or updated with ``PATCH
…/actions/variables/{name}`` when it exists (409). An organization's also take ``visibility``
(``all``, ``private`` or ``selected``) and, for ``selected``, ``selected_repository_ids``.
Source: GitHub Docs, REST API "Actions secrets" ("Create or update a repository secret", which shows
the sealed-box encryption) and "Actions variables".
"""

from __future__ import annotations

import base64
from typing import Any, NamedTuple

from .client import SetupAPI

VISIBILITIES = ("all", "private", "selected")


class Target(NamedTuple):
    """Where to store: a repository (``repository`` set) or an organization (``repository`` None, with
    ``visibility`` and, for ``selected``, ``selected_ids``: repository IDs)."""

    owner: str
    repository: str | None = None
    visibility: str = "private"
    selected_ids: tuple[int, ...] = ()

    @property
    def base(self) -> str:
        """The REST path of the target: ``/repos/{owner}/{repo}`` or ``/orgs/{org}``."""
        return f"/repos/{self.owner}/{self.repository}" if self.repository else f"/orgs/{self.owner}"

    @property
    def label(self) -> str:
        """How the user names it: ``owner/repo``, or ``organization owner``."""
        return f"{self.owner}/{self.repository}" if self.repository else f"organization {self.owner}"

    def scope_fields(self) -> dict[str, Any]:
        """The organization's visibility fields of a secret's or variable's body (none for a repository)."""
        if self.repository:
            return {}
        fields: dict[str, Any] = {"visibility": self.visibility}
        if self.visibility == "selected":
            fields["selected_repository_ids"] = list(self.selected_ids)
        return fields


def seal(public_key: str, value: str) -> str:
    """``value`` encrypted for ``public_key`` (base64) as a libsodium sealed box, base64."""
    from nacl.public import PublicKey, SealedBox

    box = SealedBox(PublicKey(base64.b64decode(public_key)))
    return base64.b64encode(box.encrypt(value.encode())).decode()


class Stored(NamedTuple):
    """One stored item: ``kind`` (``secret`` or ``variable``), ``name``, ``target``, ``created`` (else updated)."""

    kind: str
    name: str
    target: Target
    created: bool


def store_secret(api: SetupAPI, token: str, target: Target, name: str, value: str, key: tuple[str, str]) -> Stored:
    """Encrypt ``value`` for ``key`` (``(key_id, key)``, from :meth:`SetupAPI.secrets_public_key`) and store it."""
    key_id, public_key = key
    body = {"encrypted_value": seal(public_key, value), "key_id": key_id, **target.scope_fields()}
    return Stored("secret", name, target, api.put_secret(target.base, name, body, token))


def store_variable(api: SetupAPI, token: str, target: Target, name: str, value: str) -> Stored:
    """Create the variable, or update it when it exists."""
    body = {"name": name, "value": value, **target.scope_fields()}
    return Stored("variable", name, target, api.put_variable(target.base, body, token))
