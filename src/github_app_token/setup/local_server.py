"""The local page that posts the manifest to GitHub, and the one-time callback GitHub redirects to.

A ``ThreadingHTTPServer`` on 127.0.0.1 with an ephemeral port (the operating system's choice), for
one registration, under a random path (128 bits, :attr:`ManifestServer.page_url`): ``GET {path}/``
shows the app's name and permissions and a button whose form posts the manifest to GitHub;
``GET {path}/callback?code=…&state=…`` is GitHub's redirect after the user created the app (GitHub
Docs, "Registering a GitHub App from a manifest", step 2). The callback is accepted once, and only
with this run's ``state`` (another random 128-bit value, compared in constant time).

Only requests whose ``Host`` header is exactly ``127.0.0.1:PORT`` are answered (421 Misdirected
Request otherwise): a web page the user visits cannot rebind a name of its own to 127.0.0.1 and read
the form (its state) through it (DNS rebinding). Any other path gets 404. No error page holds the
path, the state or the manifest, and none changes anything. :meth:`ManifestServer.stop` closes the port.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import ActionError
from ..retry import SYSTEM_CLOCK, Clock
from . import messages

#: Seconds between two looks at whether the callback came (on the command's clock).
POLL = 0.2

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;line-height:1.5;color:#1f2328}"
    "button{font-size:1.1em;padding:.5em 1.2em;background:#1f883d;color:#fff;border:0;border-radius:6px}"
    "code{background:#f6f8fa;padding:.1em .3em;border-radius:4px}"
)


class CallbackTimeout(ActionError):
    """GitHub did not redirect back within the time allowed (``--timeout``)."""

    exit_code = 5


def page(title: str, body: str) -> bytes:
    """A small HTML page (``body`` is HTML, already escaped)."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


class ManifestServer:
    """One registration's local server. Use as a context manager (it stops on exit, Ctrl-C included).

    ``form`` gives, from this server's callback URL, the form's ``(action URL, manifest)``; the
    action URL carries :attr:`state`. :attr:`page_url` is the page to open (``http://127.0.0.1:PORT/
    RANDOM/``), :attr:`callback_url` the redirect's. After :meth:`wait` returns, :attr:`code` is
    GitHub's one-time code (valid one hour, GitHub Docs).
    """

    def __init__(self, form: Callable[[str, str], tuple[str, dict[str, Any]]], host: str = "127.0.0.1") -> None:
        self.state = secrets.token_urlsafe(16)
        self._root = "/" + secrets.token_urlsafe(16)  # the page's path: unguessable, like the state
        self.code: str | None = None
        self.refused: list[str] = []  # why each refused callback was refused
        self._accepted = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                status, body = outer._answer(self.path, self.headers.get_all("Host") or [])
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._host = f"{host}:{self._server.server_address[1]}"  # the one Host header answered
        self.url = f"http://{self._host}"
        self.page_url = f"{self.url}{self._root}/"
        self.callback_url = f"{self.url}{self._root}/callback"
        self.action, self.manifest = form(self.callback_url, self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def _answer(self, raw_path: str, hosts: list[str]) -> tuple[int, bytes]:
        """The status and page for ``GET raw_path`` with the ``Host`` headers ``hosts``."""
        if hosts != [self._host]:
            return 421, page(messages.PAGE_HOST_TITLE, f"<p>{html.escape(messages.PAGE_HOST.format(url=self.url))}</p>")
        path, _, query = raw_path.partition("?")
        if _same(path, self._root) or _same(path, self._root + "/"):
            return 200, self._form_page()
        if not _same(path, self._root + "/callback"):
            return 404, page("Not found", "<p>Nothing here.</p>")
        params = urllib.parse.parse_qs(query)
        code, state = params.get("code", [""])[0], params.get("state", [""])[0]
        with self._lock:
            if self._accepted.is_set():
                self.refused.append("used")
                return 410, page(messages.PAGE_USED_TITLE, f"<p>{html.escape(messages.PAGE_USED)}</p>")
            if not _same(state, self.state):
                self.refused.append("state")
                return 400, page(messages.PAGE_STATE_TITLE, f"<p>{html.escape(messages.PAGE_STATE)}</p>")
            if not code or len(code) > 200 or not code.isascii() or not code.isprintable():
                self.refused.append("code")
                return 400, page(messages.PAGE_STATE_TITLE, f"<p>{html.escape(messages.PAGE_NO_CODE)}</p>")
            self.code = code
            self._accepted.set()
        return 200, page(messages.PAGE_DONE_TITLE, f"<p>{html.escape(messages.PAGE_DONE)}</p>")

    def _form_page(self) -> bytes:
        permissions = self.manifest.get("default_permissions") or {}
        rows = "".join(
            f"<li><code>{html.escape(name)}</code>: {html.escape(level)}</li>" for name, level in permissions.items()
        )
        body = (
            f"<p>{html.escape(messages.PAGE_FORM_INTRO)}</p>"
            f"<p>Name: <strong>{html.escape(str(self.manifest.get('name', '')))}</strong></p>"
            f"<p>Permissions:</p><ul>{rows or '<li>metadata: read</li>'}</ul>"
            f'<form method="post" action="{html.escape(self.action)}">'
            f'<input type="hidden" name="manifest" value="{html.escape(json.dumps(self.manifest))}">'
            f'<button type="submit" id="register">{html.escape(messages.PAGE_FORM_BUTTON)}</button></form>'
        )
        return page(messages.PAGE_FORM_TITLE, body)

    def wait(self, timeout: float, clock: Clock = SYSTEM_CLOCK) -> str:
        """GitHub's code, once the callback came; :class:`CallbackTimeout` after ``timeout`` seconds."""
        deadline = clock.monotonic() + timeout
        while not self._accepted.is_set():
            if clock.monotonic() >= deadline:
                raise CallbackTimeout(messages.CALLBACK_TIMEOUT.format(minutes=_minutes(timeout), url=self.url))
            clock.sleep(POLL)
        assert self.code is not None
        return self.code

    def stop(self) -> None:
        """Stop serving and close the port (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ManifestServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _same(given: str, secret: str) -> bool:
    """Whether ``given`` is ``secret``, compared in constant time (for its length)."""
    return hmac.compare_digest(given.encode(), secret.encode())
