"""A small Docker Engine API over a Unix socket, for the broker's local tests: no engine needed.

It answers the operations the Docker SDK for Python sends for the broker, the way the engine does
(API 1.44; what the SDK reads of each answer): ``GET /version``; ``GET /containers/json`` (``all``,
``filters`` by label); ``GET /containers/{id}/json``; ``POST /containers/create``;
``POST /containers/{id}/attach`` (hijacked with ``Upgrade: tcp``: what the client writes until it
shuts its side is the container's standard input); ``POST /containers/{id}/start``, ``/wait``
(``condition=removed``: answered once the container is removed), ``/stop`` (``t``), ``/kill``;
``DELETE /containers/{id}`` (``force``). Unknown containers get the engine's 404.

Each call is recorded in :attr:`FakeDocker.calls` as ``(method, operation, id)``. A test decides
what starting a container does (:attr:`FakeContainer.on_start`, e.g. run the broker in a thread on
the standard input it was given), what happens just before it is inspected (``on_inspect``: a
process that ends at that moment, with no timing involved) and can make an operation fail
(:attr:`FakeDocker.refuse`).
"""

from __future__ import annotations

import json
import re
import secrets
import socketserver
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

API_VERSION = "1.44"


@dataclass
class FakeContainer:
    """A container as the engine reports it; ``removed`` is set once it is gone (``auto_remove``)."""

    id: str
    labels: dict[str, str] = field(default_factory=dict)
    image: str = "sha256:" + "ab" * 32
    status: str = "running"
    mounts: list[dict[str, Any]] = field(default_factory=list)
    network_mode: str = "bridge"
    graph_data: dict[str, str] = field(default_factory=dict)
    created: dict[str, Any] = field(default_factory=dict)  # the create request's body
    stdin: bytes = b""
    stdin_closed: threading.Event = field(default_factory=threading.Event)
    removed: threading.Event = field(default_factory=threading.Event)
    on_start: Callable[[FakeContainer], None] | None = None
    on_stop: Callable[[FakeContainer], None] | None = None  # SIGTERM: what the process does on it
    on_inspect: Callable[[FakeContainer], None] | None = None  # before each inspection is answered
    signals: list[str] = field(default_factory=list)  # what stop and kill sent, in order
    removal_lags: bool = False  # stopped, it is still being removed: DELETE answers 409 meanwhile

    def inspect(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": "/" + self.id[:12],
            "Image": self.image,
            "Config": {"Labels": self.labels, "Image": self.image},
            "State": {"Status": self.status, "Running": self.status == "running"},
            "HostConfig": {"NetworkMode": self.network_mode, "AutoRemove": True},
            "Mounts": self.mounts,
            "GraphDriver": {"Name": "overlay2", "Data": self.graph_data},
        }

    def remove(self) -> None:
        self.status = "removing"
        self.removed.set()


class FakeDocker:
    """The fake engine, serving on ``socket`` (``host`` is its ``DOCKER_HOST``) while entered.

    ``containers`` by ID; ``on_create(container)`` is called for each container created (a test
    sets what it does when started); ``refuse[(method, operation)] = (status, message)`` makes the
    engine answer that operation with that error (``operation``: ``create``, ``start``, ``list``...).
    """

    def __init__(self, directory: Path) -> None:
        self.socket = directory / "docker.sock"
        self.containers: dict[str, FakeContainer] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.refuse: dict[tuple[str, str], tuple[int, str]] = {}
        self.on_create: Callable[[FakeContainer], None] = lambda container: None
        self.closing = threading.Event()
        self._server: socketserver.UnixStreamServer | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def add(self, **fields: Any) -> FakeContainer:
        container = FakeContainer(id=secrets.token_hex(32), **fields)
        self.containers[container.id] = container
        return container

    def live(self) -> list[FakeContainer]:
        return [c for c in self.containers.values() if not c.removed.is_set()]

    def operations(self, container: FakeContainer | None = None) -> list[str]:
        """The operations asked of ``container`` (of any, when None), in order."""
        return [op for _, op, cid in self.calls if container is None or cid == container.id]

    def __enter__(self) -> FakeDocker:
        engine = self

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        class Handler(_Handler):
            fake = engine

        self._server = Server(str(self.socket), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        for container in self.containers.values():
            container.stdin_closed.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


#: ``(method, path)`` -> operation, for the engine's own paths; ``(method, what)`` -> operation for
#: a container's, ``/containers/{id}/{what}`` (``what`` "" for ``/containers/{id}`` itself).
_ENGINE = {
    ("GET", "/version"): "version",
    ("GET", "/containers/json"): "list",
    ("POST", "/containers/create"): "create",
}
_CONTAINER_PATH = re.compile(r"/containers/(?P<id>[^/]+)(?:/(?P<what>[a-z]+))?")
_OF_CONTAINER = {("GET", "json"): "inspect", ("DELETE", ""): "remove"} | {
    ("POST", what): what for what in ("attach", "start", "wait", "stop", "kill")
}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeDocker
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Api-Version", API_VERSION)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        path = re.sub(r"^/v1\.\d+", "", parts.path)
        query = urllib.parse.parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null") if length else None
        operation, ident = _ENGINE.get((self.command, path), ""), ""
        match = _CONTAINER_PATH.fullmatch(path)
        if not operation and match:
            operation, ident = _OF_CONTAINER.get((self.command, match["what"] or ""), ""), match["id"]
        if not operation:
            self._send(404, {"message": "page not found"})
            return
        self.fake.calls.append((self.command, operation, ident))
        refused = self.fake.refuse.get((self.command, operation))
        if refused:
            self._send(refused[0], {"message": refused[1]})
            return
        container = self.fake.containers.get(ident) if ident else None
        if container is not None and container.on_inspect is not None and operation == "inspect":
            container.on_inspect(container)
        if ident and (container is None or container.removed.is_set()):
            self._send(404, {"message": f"No such container: {ident}"})
            return
        getattr(self, "op_" + operation)(container, query, body)

    do_GET = do_POST = do_DELETE = _handle

    def op_version(self, container: None, query: dict[str, list[str]], body: Any) -> None:
        self._send(200, {"ApiVersion": API_VERSION, "Version": "27.5.1", "MinAPIVersion": "1.24"})

    def op_list(self, container: None, query: dict[str, list[str]], body: Any) -> None:
        wanted = json.loads(query.get("filters", ["{}"])[0]).get("label", [])
        everything = query.get("all", ["0"])[0] not in ("0", "false")
        found = []
        for candidate in self.fake.live():
            if not everything and candidate.status != "running":
                continue
            if all(
                candidate.labels.get(key) == value if sep else key in candidate.labels
                for key, sep, value in (label.partition("=") for label in wanted)
            ):
                found.append({"Id": candidate.id, "Labels": candidate.labels, "State": candidate.status})
        self._send(200, found)

    def op_create(self, container: None, query: dict[str, list[str]], body: Any) -> None:
        created = self.fake.add(labels=dict(body.get("Labels") or {}), image=str(body.get("Image")), created=body)
        created.status = "created"
        self.fake.on_create(created)
        self._send(201, {"Id": created.id, "Warnings": []})

    def op_inspect(self, container: FakeContainer, query: dict[str, list[str]], body: Any) -> None:
        self._send(200, container.inspect())

    def op_attach(self, container: FakeContainer, query: dict[str, list[str]], body: Any) -> None:
        self.send_response(101, "UPGRADED")
        self.send_header("Content-Type", "application/vnd.docker.raw-stream")
        self.send_header("Connection", "Upgrade")
        self.send_header("Upgrade", "tcp")
        self.end_headers()
        self.wfile.flush()
        container.stdin = self.rfile.read()  # until the client shuts its side
        container.stdin_closed.set()
        self.close_connection = True

    def op_start(self, container: FakeContainer, query: dict[str, list[str]], body: Any) -> None:
        container.status = "running"
        if container.on_start is not None:
            threading.Thread(target=container.on_start, args=(container,), daemon=True).start()
        self._send(204)

    def op_wait(self, container: FakeContainer, query: dict[str, list[str]], body: Any) -> None:
        while not container.removed.wait(0.05):  # as the engine: the answer comes when it is removed
            if self.fake.closing.is_set():
                return
        self._send(200, {"StatusCode": 0})

    def op_stop(self, container: FakeContainer, query: dict[str, list[str]], body: Any) -> None:
        container.signals.append(f"SIGTERM, SIGKILL after {query.get('t', ['10'])[0]} s")
        if container.on_stop is not None:
            container.on_stop(container)  # what the process does on SIGTERM; killed after it
        self._ended(container)
        self._send(204)

    def op_kill(self, container: FakeContainer, query: dict[str, list[str]], body: Any) -> None:
        container.signals.append(query.get("signal", ["SIGKILL"])[0])
        self._ended(container)
        self._send(204)

    def op_remove(self, container: FakeContainer, query: dict[str, list[str]], body: Any) -> None:
        if container.removal_lags:
            self._send(409, {"message": f"removal of container {container.id} is already in progress"})
            return
        container.remove()
        self._send(204)

    def _ended(self, container: FakeContainer) -> None:
        container.status = "exited"
        if not container.removal_lags:
            container.remove()  # auto_remove
