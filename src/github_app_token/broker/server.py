"""The broker itself: a process (in its own container) that keeps a fresh token within reach of the job.

It reads its :class:`~.protocol.Config` from standard input, then serves its Unix socket (see
:mod:`.protocol`) until the post step stops it, its directory disappears, its deadline passes, a
signal (SIGTERM from ``docker stop``) arrives, or an error it cannot recover from happens (GitHub
refusing the credentials: a deleted key, a suspended installation). In every case it first revokes
every token it minted and still valid (the first tokens, given by the main step, included), and
says so on standard output (``docker logs``), which never shows a token, a JWT or the key.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import socketserver
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from ..errors import ActionError, GitHubAPIError
from .protocol import ERROR_FILE, REFRESH_SHARE, SOCKET, WATCH_INTERVAL, Config

if TYPE_CHECKING:
    from ..core import MintRequest
    from ..github_api import GitHubAPI
    from ..inputs import TokenScope


def epoch(expires_at: str) -> float:
    """GitHub's ISO 8601 ``expires_at`` as epoch seconds (UTC)."""
    from ..github_api import InstallationToken

    return InstallationToken("", expires_at, {}, None, "").expires_epoch()


class Held(NamedTuple):
    """An owner's current token: its text, expiry and life (epoch seconds, seconds; GitHub's clock)."""

    token: str
    expires: float
    lifetime: float


class Fatal(Exception):
    """An error the broker cannot recover from: it revokes what it minted and stops."""


class Closed(ActionError):
    """The broker has revoked its tokens (it is stopping): it hands out and mints none any more (HTTP 503)."""


class Broker:
    """Tokens by owner: the current one while it has :data:`~.protocol.REFRESH_SHARE` of its life
    left, else a new one minted with exactly the first token's scope. Thread-safe.

    ``clock`` gives epoch seconds (the machine's clock; GitHub's is that plus ``api.server_offset``).
    """

    def __init__(
        self, config: Config, api: GitHubAPI, log: Callable[[str], None], clock: Callable[[], float] = time.time
    ) -> None:
        from ..app_jwt import AppAuth
        from ..core import MintRequest
        from ..private_key import load_private_key

        self.api, self.log, self.clock = api, log, clock
        signer = AppAuth(config.credentials["issuer"], load_private_key(config.credentials["private_key"]))
        signer.clock_offset = config.clock_offset
        api.server_offset = config.clock_offset
        self.requests: dict[str, tuple[MintRequest, TokenScope]] = {}
        for item in config.scopes:
            scope = scope_of(item)
            owner = scope.target.owner.casefold()
            request = MintRequest(signer, "client-id", (scope,), "", config.installation_ids[scope.target.owner])
            self.requests[owner] = (request, scope)
        self.first_owner = config.scopes[0]["owner"].casefold()
        now = self.github_now()
        self.current: dict[str, Held] = {}
        self.minted: list[tuple[str, float]] = []  # every token and its expiry, first ones included
        for given in config.tokens:
            expires = epoch(given["expires_at"])
            self.current[given["owner"].casefold()] = Held(given["token"], expires, max(1.0, expires - now))
            self.minted.append((given["token"], expires))
        self.lock = threading.Lock()
        self.stopped = False  # set by revoke_all, under the lock: no token after the final revocation

    def github_now(self) -> float:
        return self.clock() + self.api.server_offset

    def token(self, owner: str) -> str:
        """The token for ``owner`` ("" for the first owner); KeyError for an owner not in the scopes.

        Raises :class:`Closed` once :meth:`revoke_all` has run, :class:`Fatal` when GitHub refuses
        the credentials for good, ActionError otherwise.
        """
        key = owner.casefold() or self.first_owner
        request, scope = self.requests[key]
        with self.lock:
            if self.stopped:
                raise Closed("the token broker has stopped and revoked the job's tokens")
            held = self.current.get(key)
            if held is not None and held.expires - self.github_now() >= held.lifetime * REFRESH_SHARE:
                return held.token
            from ..core import mint_one

            asked_at = self.github_now()
            try:
                _, minted = mint_one(scope, request, self.api)
            except GitHubAPIError as error:
                if error.status in (401, 404) or (error.status == 403 and not error.rate_limited):
                    raise Fatal(str(error)) from None
                raise
            expires = minted.expires_epoch()
            self.current[key] = Held(minted.token, expires, max(1.0, expires - asked_at))
            self.minted.append((minted.token, expires))
            self.log(f"Minted a new token for {scope.target.owner}; it expires at {minted.expires_at}.")
            return minted.token

    def revoke_all(self) -> tuple[int, int]:
        """Revoke every token minted and not yet expired: ``(revoked, left valid)``. From then on
        :meth:`token` raises :class:`Closed`: nothing is minted after the final revocation."""
        from ..core import revoke

        with self.lock:
            self.stopped = True
            live = [token for token, expires in self.minted if expires > self.github_now()]
            problems = revoke(self.api, live)
            self.minted = []
            self.current = {}
        return sum(p is None for p in problems), sum(p is not None for p in problems)


def scope_of(item: dict[str, Any]) -> TokenScope:
    """A :class:`TokenScope` from its JSON form in the configuration."""
    from ..inputs import InstallationTarget, TokenScope

    repositories = item.get("repositories")
    return TokenScope(
        InstallationTarget(str(item["owner"]), item.get("repository"), item.get("enterprise")),
        tuple(repositories) if repositories is not None else None,
        dict(item.get("permissions") or {}),
        tuple(item.get("repository_ids") or ()),
    )


#: Seconds a client may leave its connection idle (nothing sent, or its answer not read) before the
#: broker closes it: a client that connects and says nothing holds a place only that long.
CONNECTION_TIMEOUT = 10.0
#: Connections served at once; one more is answered 503 and closed at once, unread.
MAX_CONNECTIONS = 16
_BUSY_TEXT = b"the token broker is serving too many connections at once; try again\n"
BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_BUSY_TEXT), _BUSY_TEXT)
)


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A thread per connection, at most ``max_connections`` at once, each idle at most
    ``connection_timeout`` seconds (the handler's socket timeout)."""

    daemon_threads = True
    block_on_close = False
    broker: Broker
    stop: Callable[[str], dict[str, Any]]

    def __init__(self, path: str, max_connections: int, connection_timeout: float) -> None:
        super().__init__(path, _Handler)
        self.slots = threading.BoundedSemaphore(max_connections)
        self.connection_timeout = connection_timeout

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):  # full: refused in this (the accepting) thread
            with contextlib.suppress(OSError):
                request.sendall(BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)  # a thread, which releases the slot
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            with contextlib.suppress(Exception):  # a client's broken connection: nothing to report, no traceback
                self.finish_request(request, client_address)
        finally:
            self.slots.release()  # before the client sees its connection end: its place is free again
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:  # never a traceback on the output
        pass


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.connection_timeout)  # each read and write on the connection

    def log_message(self, format: str, *args: Any) -> None:  # no request lines: they hold owners only, but quiet
        pass

    def address_string(self) -> str:  # a Unix socket has no client address
        return "broker"

    def _answer(self, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/health":
            self._answer(200, "ok\n")
            return
        if parts.path != "/token":
            self._answer(404, "no such path\n")
            return
        owner = urllib.parse.parse_qs(parts.query).get("owner", [""])[0]
        try:
            token = self.server.broker.token(owner)
        except KeyError:
            self._answer(404, f"this broker holds no token for the owner '{owner[:100]}'\n")
        except Closed as error:
            self._answer(503, f"{error}\n")
        except Fatal as error:
            self._answer(502, f"{error}\n")
            threading.Thread(target=self.server.stop, args=(f"GitHub refused the credentials: {error}",)).start()
        except ActionError as error:
            self._answer(502, f"{error}\n")
        else:
            self._answer(200, token + "\n")

    def do_POST(self) -> None:
        if urllib.parse.urlsplit(self.path).path != "/stop":
            self._answer(404, "no such path\n")
            return
        result = self.server.stop("the post step asked")
        self._answer(200, json.dumps(result) + "\n", "application/json")


def serve(
    config: Config,
    broker: Broker,
    log: Callable[[str], None],
    *,
    clock: Callable[[], float] = time.time,
    max_connections: int = MAX_CONNECTIONS,
    connection_timeout: float = CONNECTION_TIMEOUT,
) -> int:
    """Listen on the socket and stop on the first of the reasons in the module's docstring; return 0.

    ``clock`` (epoch seconds) is what the deadline is judged on. At most ``max_connections`` are
    served at once, each closed after ``connection_timeout`` seconds without a byte either way.
    Signals are handled when this runs in the main thread (the broker's process); a test may run it
    in another. Raises OSError when the socket cannot be made.
    """
    path = os.path.join(config.directory, SOCKET)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    old_umask = os.umask(0o177)  # the socket is created 0600
    try:
        server = _Server(path, max_connections, connection_timeout)
    finally:
        os.umask(old_umask)
    os.chown(path, config.owner_uid, config.owner_gid)
    os.chmod(path, 0o600)
    server.broker = broker
    stopped = threading.Event()
    result: dict[str, Any] = {}
    stop_lock = threading.Lock()

    def stop(reason: str) -> dict[str, Any]:
        with stop_lock:
            if not stopped.is_set():
                try:
                    revoked, left = broker.revoke_all()
                    result.update(revoked=revoked, left_valid=left, container=config.container)
                    log(
                        f"Stopping ({reason}): revoked {revoked} token(s)" + (f"; {left} could not be" if left else ".")
                    )
                finally:  # whatever the log does, the broker stops
                    stopped.set()
                    threading.Thread(target=server.shutdown, daemon=True).start()
        return dict(result)

    server.stop = stop

    def watch() -> None:
        while not stopped.wait(WATCH_INTERVAL):
            if not os.path.isdir(config.directory):
                stop("its directory is gone: the job has ended")
            elif clock() >= config.deadline:
                stop("its deadline has passed")

    def on_signal(number: int, frame: object) -> None:
        threading.Thread(target=stop, args=(f"signal {signal.Signals(number).name}",), daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=watch, daemon=True).start()
    log(f"Ready: serving tokens for {', '.join(s['owner'] for s in config.scopes)} until the job ends.")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return 0


def run(stdin: BinaryIO | None = None, log: Callable[[str], None] | None = None) -> int:
    """The broker's process: configuration from standard input, then :func:`serve`; returns the exit code."""
    from ..github_api import GitHubAPI

    def say(line: str) -> None:
        # A log nobody reads (a closed pipe: EPIPE) must not stop the broker, nor its revoking.
        with contextlib.suppress(OSError, ValueError):
            print(line, flush=True)

    log = log or say
    data = (stdin or sys.stdin.buffer).read()
    try:
        config = Config.loads(data)
    except (ValueError, KeyError, TypeError):
        log("The broker's configuration on standard input is unreadable; nothing to serve.")
        return 2
    del data
    try:
        for name, value in config.proxies.items():
            os.environ[name] = value
        ca_bundle = None
        if config.ca_bundle:
            # The broker's container has a /tmp of its own, in memory, which nobody else reaches.
            ca_bundle = "/tmp/github-app-token-ca.pem" if os.path.isdir("/tmp") else None  # noqa: S108
            if ca_bundle:
                with open(ca_bundle, "w", encoding="utf-8") as handle:
                    handle.write(config.ca_bundle)
        api = GitHubAPI(config.api_url, log=log, ca_bundle=ca_bundle)
        broker = Broker(config, api, log)
    except (ActionError, OSError, KeyError, ValueError) as error:
        fail(config, f"The broker could not start: {error}", log)
        return 1
    try:
        return serve(config, broker, log)
    except OSError as error:
        broker.revoke_all()
        fail(config, f"The broker could not serve its socket: {error.strerror or error}", log)
        return 1


def fail(config: Config, message: str, log: Callable[[str], None]) -> None:
    """Say why the broker stopped, on its output and in its directory (the main step reads it there;
    the file appears whole, renamed into place, so it is never read half written)."""
    log(message)
    path = os.path.join(config.directory, ERROR_FILE)
    with contextlib.suppress(OSError):
        with open(path + ".new", "w", encoding="utf-8") as file:
            file.write(message + "\n")
        os.replace(path + ".new", path)
