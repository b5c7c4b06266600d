"""The post step's side of ``lifetime: job``: have the broker revoke every token it minted, and stop.

Then check that it is gone (its container, through the Docker API), and if it is not, stop it as
``docker stop`` does (SIGTERM, on which it revokes too; SIGKILL after :data:`STOP_WITHIN` seconds):
nothing is left valid and nothing keeps running. The post step also revokes the tokens it was
given itself, as with ``lifetime: hour`` (quietly when the broker revoked them already).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
from collections.abc import Mapping
from typing import Any, NamedTuple

from .protocol import BROKER_ROLE, DIRECTORY_LABEL, DIRECTORY_PREFIX, LABEL, SOCKET, job_labels

#: Seconds the post step waits for the broker's container to be gone after it answered.
GONE_WITHIN = 15.0
#: Seconds ``docker stop`` gives a broker that is still there to revoke and exit, before SIGKILL.
STOP_WITHIN = 10


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


def stop(directory: str, container: str = "", client: Any = None) -> Stopped:
    """Ask the broker to revoke its tokens and stop; make sure its container (``container``, else the
    one it names in its answer) is gone (:func:`ensure_gone`: waiting for it when it answered, at
    once when it did not). ``client``: a Docker client (else one from the environment)."""
    revoked = left = None
    problem = ""
    try:
        result = json.loads(ask(directory, "POST", "/stop"))
        revoked, left = int(result["revoked"]), int(result["left_valid"])
        container = container or str(result.get("container") or "")
    except (OSError, ValueError, KeyError, TypeError) as error:
        problem = f"the broker did not answer ({type(error).__name__}: {error})"[:300]
    gone = None
    if container:
        gone = ensure_gone(container, wait=GONE_WITHIN if revoked is not None else 0, client=client)
    return Stopped(revoked, left, gone, problem)


def docker_client() -> Any:
    """A Docker client from the environment (``DOCKER_HOST``, else the socket); None without one."""
    try:
        import docker
        import docker.errors
    except ImportError:
        return None
    try:
        return docker.from_env(timeout=30)
    except docker.errors.DockerException:
        return None


def discover(env: Mapping[str, str], places: list[str], client: Any = None) -> list[tuple[str, str]]:
    """This job's brokers, ``[(directory, container ID)]``, for a post step that got no state from its
    main step (nektos/act gives Docker actions none).

    A broker is this job's when its container, found through the Docker API (``client``, else one
    from the environment), carries the broker's label and exactly this job's labels (``GITHUB_RUN_ID``,
    ``GITHUB_RUN_ATTEMPT``, ``GITHUB_JOB``: :func:`~.protocol.job_labels`), and its directory (its
    label) is a broker's directory under one of ``places`` (the job's temp directory, act's per-job
    volume) with a socket in it. Nothing is found without ``GITHUB_RUN_ID`` and ``GITHUB_JOB``, or
    without Docker.
    """
    wanted = job_labels(env)
    if not env.get("GITHUB_RUN_ID") or not env.get("GITHUB_JOB"):
        return []
    client = client or docker_client()
    if client is None:
        return []
    import docker.errors

    try:
        candidates = client.containers.list(filters={"label": f"{LABEL}={BROKER_ROLE}"}, ignore_removed=True)
    except docker.errors.DockerException:
        return []
    roots = [os.path.join(place, "") for place in dict.fromkeys(places) if place]
    found = []
    for candidate in candidates:
        labels = candidate.labels or {}
        if labels.get(LABEL) != BROKER_ROLE or any(labels.get(key, "") != value for key, value in wanted.items()):
            continue  # another job's (or not a broker)
        directory = os.path.normpath(str(labels.get(DIRECTORY_LABEL, "")))
        parent, name = os.path.split(directory)
        if (
            os.path.join(parent, "") in roots
            and name.startswith(DIRECTORY_PREFIX)
            and os.path.exists(os.path.join(directory, SOCKET))
        ):
            found.append((directory, str(candidate.id)))
    return found


def ensure_gone(container: str, *, wait: float = GONE_WITHIN, client: Any = None) -> bool:
    """Make sure the broker's container is gone; True when it is.

    It removes itself when it exits: wait up to ``wait`` seconds for that (Docker's ``wait`` until
    ``removed``), then, if it is still there, stop it as ``docker stop`` does: SIGTERM (on which the
    broker revokes its tokens and exits), SIGKILL after :data:`STOP_WITHIN` seconds; then remove it.
    Only a container with the broker's label is ever touched (False for any other, and when Docker
    cannot be reached).
    """
    client = client or docker_client()
    if client is None:
        return False
    import docker.errors
    import requests.exceptions

    try:
        found = client.containers.get(container)
        if (found.labels or {}).get(LABEL) != BROKER_ROLE:
            return False  # not a broker of ours: never stopped here
        if wait > 0:
            # Still there after ``wait`` seconds (or the engine did not say): stopped below.
            with contextlib.suppress(docker.errors.DockerException, requests.exceptions.RequestException):
                found.wait(timeout=wait, condition="removed")
            found = client.containers.get(container)
        found.stop(timeout=STOP_WITHIN)  # SIGTERM, then SIGKILL
        found.remove(force=True)
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError as error:
        return error.status_code == 409  # "removal ... is already in progress": its own, after it exited
    except docker.errors.DockerException:
        return False
    return True
