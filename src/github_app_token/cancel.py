"""Cancellation: SIGINT and SIGTERM end a step cleanly instead of leaving a token nobody holds.

When a job is cancelled or reaches ``timeout-minutes``, the runner signals ``docker run`` with SIGINT,
then SIGTERM 7.5 s later, then kills it 2.5 s after that (actions/runner ``ProcessInvoker``:
``_sigintTimeout``, ``_sigtermTimeout``); ``docker run`` forwards both signals to the container's
PID 1 (``--sig-proxy``, on by default), which is this process, and PID 1 ignores SIGTERM unless it
handles it. A CLI user presses Ctrl-C (SIGINT).

:meth:`Cancellation.install` makes both signals only set a flag: the request in flight finishes (its
answer, maybe a token, is read rather than lost), no new request starts except revocations
(:meth:`Cancellation.check`), waits between retries end at once (:meth:`Cancellation.sleep`), and
the front end then revokes every token created and says so in one line.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType

from . import messages
from .errors import ActionError

#: The signals that cancel a step.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Cancelled(ActionError):
    """The step was cancelled by a signal; ``signal_name`` is e.g. ``SIGTERM``.

    Exit code 128 + the signal's number, as shells report a process ended by it (130 for SIGINT).
    """

    def __init__(self, message: str, signal_name: str, signal_number: int) -> None:
        super().__init__(message)
        self.signal_name = signal_name
        self.exit_code = 128 + signal_number


class Cancellation:
    """The cancellation state of one process: set by a signal, read before every request.

    Also a :class:`github_app_token.retry.Clock`: its ``sleep`` waits between retries unless the
    step is cancelled, and raises :class:`Cancelled` as soon as it is.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name = ""
        self.signal_number = 0

    def install(self) -> Cancellation:
        """Handle SIGINT and SIGTERM in this process (main thread only); returns ``self``."""
        for number in SIGNALS:
            signal.signal(number, self._received)
        return self

    def _received(self, number: int, frame: FrameType | None) -> None:
        if not self._event.is_set():
            self.signal_name, self.signal_number = signal.Signals(number).name, number
        self._event.set()

    def cancel(self, number: int = signal.SIGTERM) -> None:
        """Cancel as if signal ``number`` had arrived (for tests and front ends)."""
        self._received(number, None)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def error(self, what: str = "") -> Cancelled:
        """The :class:`Cancelled` to raise; ``what`` says what happened to the tokens (a sentence)."""
        text = messages.CANCELLED.format(signal=self.signal_name or "a signal")
        return Cancelled(f"{text} {what}".rstrip(), self.signal_name, self.signal_number)

    def check(self) -> None:
        """Raise :class:`Cancelled` if a signal arrived: no new request may start."""
        if self._event.is_set():
            raise self.error()

    # -- a retry.Clock ---------------------------------------------------------------------------
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` between retries; raise :class:`Cancelled` at once when a signal arrives."""
        if self._event.wait(seconds):
            raise self.error()
