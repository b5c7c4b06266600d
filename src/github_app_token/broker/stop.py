"""The post step's side of ``lifetime: job``: have the broker revoke every token it minted, and stop.

Then check that it is gone (its container, through the Docker API), and kill it if it is not: nothing
is left valid and nothing keeps running. When the broker cannot be reached (it already stopped, say,
at its deadline), the post step revokes the tokens it knows itself, as with ``lifetime: hour``.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from typing import NamedTuple

from .protocol import DIRECTORY_PREFIX, LABEL, SOCKET

#: Seconds the post step waits for the broker's container to be gone after it answered.
GONE_WITHIN = 15.0


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("broker", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def ask(directory: str, method: str, path: str, timeout: float = 60) -> str:
    """One HTTP request to the broker whose socket is in ``directory``; its answer's text.

    Raises OSError when the broker cannot be reached, ValueError when it answers with an error.
    """
    connection = _UnixConnection(os.path.join(directory, SOCKET), timeout)
    try:
        connection.request(method, path)
        answer = connection.getresponse()
        text = answer.read().decode("utf-8", "replace")
    finally:
        connection.close()
    if answer.status != 200:
        raise ValueError(text.strip()[:300])
    return text


class Stopped(NamedTuple):
    """What stopping did: ``revoked`` and ``left_valid`` token counts (None when the broker could
    not be asked), and ``gone``: its container is no more (None when no container is known)."""

    revoked: int | None
    left_valid: int | None
    gone: bool | None  # None: its container is not known (it stopped, or it answered none)
    problem: str = ""


def stop(directory: str, container: str = "") -> Stopped:
    """Ask the broker to revoke its tokens and stop; make sure its container (``container``, else the
    one it names in its answer) is gone."""
    revoked = left = None
    problem = ""
    try:
        result = json.loads(ask(directory, "POST", "/stop"))
        revoked, left = int(result["revoked"]), int(result["left_valid"])
        container = container or str(result.get("container") or "")
    except (OSError, ValueError, KeyError, TypeError) as error:
        problem = f"the broker did not answer ({type(error).__name__}: {error})"[:300]
    return Stopped(revoked, left, ensure_gone(container) if container else None, problem)


def discover(places: list[str]) -> list[str]:
    """The brokers' directories under ``places`` (each ``github-app-token-*`` holding a socket).

    For a post step that got no state from its main step (nektos/act gives Docker actions none): a
    job's temp directory, and act's per-job volume, hold only that job's brokers.
    """
    found = []
    for place in dict.fromkeys(places):
        try:
            names = sorted(os.listdir(place))
        except OSError:
            continue
        for name in names:
            directory = os.path.join(place, name)
            if name.startswith(DIRECTORY_PREFIX) and os.path.exists(os.path.join(directory, SOCKET)):
                found.append(directory)
    return found


def ensure_gone(container: str) -> bool:
    """Wait for the broker's container to be removed (it removes itself when it exits); kill it after
    :data:`GONE_WITHIN` seconds, if it is a broker (by its label: nothing else is ever touched).
    True when it is gone."""
    try:
        import docker
        import docker.errors
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=30)
    except docker.errors.DockerException:
        return False
    deadline = time.monotonic() + GONE_WITHIN
    while True:
        try:
            found = client.containers.get(container)
        except docker.errors.NotFound:
            return True
        except docker.errors.DockerException:
            return False
        if (found.labels or {}).get(LABEL) != "token-broker":
            return False  # not a broker of ours: never stopped here
        if time.monotonic() >= deadline:
            try:
                found.kill()
                found.remove(force=True)
            except docker.errors.NotFound:
                return True
            except docker.errors.DockerException:
                return False
            return True
        time.sleep(0.2)
