"""What the broker's local tests share: a model clock, a broker's configuration for the emulator's
world, and brokers served in threads (the ``serve_broker`` and ``served`` fixtures)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from github_app_token.broker import protocol, server
from github_app_token.broker.stop import ask
from github_app_token.github_api import GitHubAPI
from tests.github_emulator import App, GitHubEmulator


class Clock:
    """The machine's clock for the broker, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def first_token(emulator: GitHubEmulator, owner: str = "octo-org", repositories: list[str] | None = None) -> Any:
    inst = next(i for i in emulator.installations.values() if i.account.login == owner)
    issued = emulator.issue_token(inst, {"contents": "write", "metadata": "read"}, repositories, emulator.token_format)
    emulator.tokens[issued.token] = issued
    return issued


def config_for(
    emulator: GitHubEmulator, app: App, key_pem: str, directory: Path, owners: tuple[str, ...] = ("octo-org",)
) -> protocol.Config:
    from tests.github_emulator import iso

    scopes, tokens, ids = [], [], {}
    for owner in owners:
        repositories = ["app"] if owner == "octo-org" else None
        issued = first_token(emulator, owner, repositories)
        scopes.append(
            {
                "owner": owner,
                "repository": repositories[0] if repositories else None,
                "enterprise": None,
                "repositories": repositories,
                "repository_ids": [],
                "permissions": {"contents": "write", "metadata": "read"} if owner == "octo-org" else {},
            }
        )
        tokens.append({"owner": owner, "token": issued.token, "expires_at": iso(issued.expires_at)})
        ids[owner] = issued.installation.id
    return protocol.Config(
        credentials={"issuer": app.client_id, "private_key": key_pem},
        scopes=scopes,
        installation_ids=ids,
        tokens=tokens,
        api_url=emulator.url,
        ca_bundle="",
        proxies={},
        clock_offset=0.0,
        deadline=time.time() + 3600,
        directory=str(directory),
        owner_uid=os.getuid(),
        owner_gid=os.getgid(),
    )


def wait_until_ready(directory: Path) -> None:
    """Until the broker answers /health, as the main step waits for it (bounded; no timing asserted)."""
    for _ in range(600):
        with contextlib.suppress(OSError, ValueError):
            if ask(str(directory), "GET", "/health", timeout=5) == "ok\n":
                return
        time.sleep(0.05)
    raise AssertionError("the broker never answered")


ServeBroker = Callable[..., dict[str, Any]]


def stop_broker(context: dict[str, Any]) -> None:
    """Ask a test's broker to stop. A connection the test just closed may still hold its place (its
    thread has not seen the end yet): a "too many connections" answer is asked again, 300 times at most."""
    for _ in range(300):
        try:
            ask(str(context["dir"]), "POST", "/stop")
        except ValueError as refused:
            if "too many connections" in str(refused):
                context["thread"].join(0.1)  # the freed place is the thread's to release, not a clock's
                continue
        except OSError:
            pass  # gone already
        return


@pytest.fixture
def serve_broker(emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path) -> Iterator[ServeBroker]:
    """Start a broker for octo-org and octocat in a thread (``serve``'s options as keywords); stopped after the test."""
    started: list[dict[str, Any]] = []

    def start(name: str = "github-app-token-test", **options: Any) -> dict[str, Any]:
        directory = tmp_path / name
        directory.mkdir(mode=0o700)
        config = config_for(emulator, app, app_key_pem, directory, owners=("octo-org", "octocat"))
        config = config._replace(deadline=time.time() + 600)  # ten minutes: the tokens outlive it
        lines: list[str] = []
        clock = Clock()
        broker = server.Broker(config, GitHubAPI(emulator.url), lines.append, clock)
        thread = threading.Thread(
            target=server.serve, args=(config, broker, lines.append), kwargs={"clock": clock, **options}
        )
        thread.start()
        wait_until_ready(directory)
        context = {"config": config, "broker": broker, "lines": lines, "clock": clock, "thread": thread}
        started.append({**context, "dir": directory})
        return started[-1]

    yield start
    for context in started:
        if context["thread"].is_alive():
            stop_broker(context)
        context["thread"].join(30)
        assert not context["thread"].is_alive()


@pytest.fixture
def served(serve_broker: ServeBroker) -> dict[str, Any]:
    return serve_broker()


def answer_of(directory: Path, request: bytes = b"") -> bytes:
    """What the broker sends on a new connection after ``request`` (raw bytes), until it closes it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(60)  # a bound on a broker that never answers, not a timing assertion
        client.connect(str(directory / protocol.SOCKET))
        client.sendall(request)
        return read_to_end(client)


def read_to_end(client: socket.socket) -> bytes:
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received
