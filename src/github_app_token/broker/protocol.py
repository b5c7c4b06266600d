"""What the broker and its clients share: file names, HTTP paths, and the configuration it reads.

The broker speaks HTTP/1.0 over its Unix socket, so that ``curl --unix-socket`` (or ``python3``)
is all a client needs:

- ``GET /token`` (``?owner=NAME`` with several owners): a token as text, one line (else the reason:
  404 for an owner outside its scopes, 502 when GitHub refused, 503 once it has revoked its tokens);
- ``GET /health``: ``ok``, once the broker is ready;
- ``POST /stop``: revoke every token minted, answer ``{"revoked": N, "left_valid": M, "container": ID}``
  (its container's ID, "" outside one), and exit.

The configuration arrives as one JSON document on the broker's standard input (never in its
environment, arguments or a file: ``docker inspect`` and other users must not see the key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

#: Files in the broker's directory.
SOCKET = "broker.sock"
TOKEN_COMMAND = "token"  # noqa: S105 - a file name
ERROR_FILE = "broker-error"
#: The broker's directory is a fresh one named like this under the job's shared directory.
DIRECTORY_PREFIX = "github-app-token-"
#: Variables later steps receive through GITHUB_ENV.
TOKEN_COMMAND_VARIABLE = "GITHUB_APP_TOKEN_COMMAND"  # noqa: S105 - a variable name
#: Labels on the broker's container, so that a person finds it with ``docker ps``: ``LABEL=BROKER_ROLE``,
#: the repository, the run and the job (:func:`job_labels`), and its directory (as the broker sees it).
LABEL = "com.github.github-app-token"
BROKER_ROLE = "token-broker"
DIRECTORY_LABEL = f"{LABEL}.directory"
#: A token is handed out while at least this share of its life is left; else a new one is minted.
#: GitHub's tokens live an hour: ten minutes.
REFRESH_SHARE = 1 / 6
#: How often the broker looks whether its directory is still there (seconds).
WATCH_INTERVAL = 1.0


def job_labels(env: Mapping[str, str]) -> dict[str, str]:
    """The labels that name the broker's run and job, from the runner's ``GITHUB_RUN_ID``,
    ``GITHUB_RUN_ATTEMPT`` and ``GITHUB_JOB`` ("" when unset): a post step without state stops only
    the brokers whose labels are its own."""
    return {
        f"{LABEL}.run-id": env.get("GITHUB_RUN_ID", ""),
        f"{LABEL}.run-attempt": env.get("GITHUB_RUN_ATTEMPT", ""),
        f"{LABEL}.job": env.get("GITHUB_JOB", ""),
    }


class Config(NamedTuple):
    """What the broker needs, from the main step.

    ``credentials``: ``{"issuer": ..., "private_key": PEM}``; ``scopes``: one per owner
    (``{"owner", "repository", "enterprise", "repositories", "repository_ids", "permissions"}``), what
    every later token is asked for: the first token's granted permissions and, when it covers
    selected repositories, those (:func:`.launch.pinned_scope`), so that no later token has more;
    ``installation_ids``: each owner's installation, as looked up; ``tokens``: the first tokens,
    ``[{"owner", "token", "expires_at"}]``; ``api_url``, ``ca_bundle`` (PEM text or ""),
    ``proxies`` (``HTTPS_PROXY`` and the like, as the main step saw them); ``clock_offset``
    (GitHub's clock minus ours, seconds); ``deadline`` (epoch seconds, UTC, when the broker stops
    whatever happens); ``directory`` (where its socket goes, as the broker sees it); ``owner_uid``
    and ``owner_gid`` (who owns that directory on the host: the socket becomes theirs, mode 0600);
    ``container``: the broker's own container ID, which it cannot learn reliably itself (a
    container in another's network shares its host name).
    """

    credentials: dict[str, str]
    scopes: list[dict[str, Any]]
    installation_ids: dict[str, int]
    tokens: list[dict[str, str]]
    api_url: str
    ca_bundle: str
    proxies: dict[str, str]
    clock_offset: float
    deadline: float
    directory: str
    owner_uid: int
    owner_gid: int
    container: str = ""

    def __repr__(self) -> str:  # never show the key or a token
        return f"Config(api_url={self.api_url!r}, owners={[s['owner'] for s in self.scopes]!r})"

    def dumps(self) -> bytes:
        return json.dumps(self._asdict()).encode() + b"\n"

    @classmethod
    def loads(cls, data: bytes) -> Config:
        """Raises ValueError (or KeyError, TypeError) for a document that is no configuration."""
        document = json.loads(data)
        return cls(**{name: document[name] for name in cls._fields if name in document or name != "container"})
