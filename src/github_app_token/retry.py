"""Retry policy for GitHub requests, built on urllib3's ``Retry``.

Two kinds of answers are retried, differently:

- **Throttling** (GitHub's rate limits): 403 or 429 with ``Retry-After``, or with
  ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``. GitHub says when to come back, so the
  request waits that long plus a random jitter (so that the jobs of a large matrix, throttled
  together, do not all return together), and is retried for as long as the stage's budget of
  :data:`BUDGET` seconds lasts (at most :data:`MAX_THROTTLED` times). A wait that cannot end
  within the budget is not started: the step gives up at once with GitHub's answer.
- **Failures**: connection errors and resets, read timeouts, HTTP 429/500/502/503/504 without
  throttling headers. At most :data:`MAX_ATTEMPTS` attempts, exponential backoff with jitter,
  ``Retry-After`` honoured up to :data:`MAX_WAIT` seconds, and never past the budget.

Any other 4xx fails at once. Sources: GitHub Docs "Rate limits for the REST API" (secondary rate
limits, ``retry-after``, ``x-ratelimit-reset``) and "Best practices for using the REST API".
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, Protocol

from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.util.retry import RequestHistory, Retry

MAX_ATTEMPTS = 4
#: Throttling answers waited out per request (a bound beside the time budget).
MAX_THROTTLED = 60
#: Seconds a stage may spend on retries, from the client's creation.
BUDGET = 30.0
#: Longest wait in seconds honoured from ``Retry-After`` for a failure (not for throttling).
MAX_WAIT = 20.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Clock(Protocol):
    """Where retries read the time and wait: :data:`SYSTEM_CLOCK`, or a test's model of time."""

    def monotonic(self) -> float: ...

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``time.time`` (epoch seconds, UTC) and ``time.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


def jittered(wait: float) -> float:
    """``wait`` plus a random share of it (at least up to one second): throttled jobs spread out."""
    return wait + random.uniform(0.0, max(1.0, wait / 2))  # noqa: S311 - jitter, not cryptography


def _reason(error: Exception | None, response: Any) -> str:
    if response is not None and getattr(response, "status", None):
        return f"HTTP {response.status}"
    name = type(error).__name__ if error is not None else "unknown error"
    text = str(error).lower() if error is not None else ""
    if "reset" in text:
        return "connection reset"
    if "refused" in text:
        return "connection refused"
    if "timed out" in text or "timeout" in name.lower():
        return "timed out"
    return name


class GitHubRetry(Retry):
    """``Retry`` that knows GitHub's rate limits, a time budget and a log.

    ``log`` receives one line per retry; ``deadline`` is a ``clock.monotonic()`` value after
    which no wait may end; ``throttled`` counts the throttling answers waited out so far;
    ``clock`` is where time is read and waited (:data:`SYSTEM_CLOCK` unless a test models it).
    """

    def __init__(
        self,
        *args: Any,
        log: Callable[[str], None] | None = None,
        deadline: float | None = None,
        throttled: int = 0,
        clock: Clock = SYSTEM_CLOCK,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.log = log
        self.deadline = deadline
        self.throttled = throttled
        self.clock = clock
        self.planned_wait: float | None = None  # what sleep() waits before the next attempt

    def new(self, **kw: Any) -> GitHubRetry:
        retry = super().new(**kw)
        assert isinstance(retry, GitHubRetry)
        retry.log, retry.deadline, retry.throttled, retry.clock = self.log, self.deadline, self.throttled, self.clock
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # 403 is a candidate here; increment() lets it through only when it is throttling.
        return status_code == 403 or super().is_retry(method, status_code, has_retry_after)

    def throttle_wait(self, response: Any) -> float | None:
        """Seconds GitHub asks to wait when ``response`` is a throttling answer, else None.

        A throttling answer is a 403 or 429 with ``Retry-After`` (seconds or an HTTP date), or
        with ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` (epoch seconds, UTC).
        """
        if response is None or response.status not in (403, 429):
            return None
        headers = response.headers
        if headers.get("Retry-After"):
            try:
                return max(0.0, self.parse_retry_after(headers["Retry-After"]))
            except InvalidHeader:
                return None
        if headers.get("x-ratelimit-remaining") == "0":
            try:
                return max(0.0, float(headers.get("x-ratelimit-reset", "")) - self.clock.time())
            except ValueError:
                return None
        return None

    def remaining(self) -> float:
        return (self.deadline - self.clock.monotonic()) if self.deadline is not None else float("inf")

    def sleep(self, response: Any = None) -> None:
        wait = self.get_backoff_time() if self.planned_wait is None else self.planned_wait
        if wait > 0:
            self.clock.sleep(wait)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> GitHubRetry:
        path = (url or "").split("?")[0]
        asked = self.throttle_wait(response)
        if asked is not None:
            return self._throttled(method, url, path, response, asked, _pool)
        if response is not None and response.status == 403:
            raise MaxRetryError(_pool, url or "", ResponseError("HTTP 403"))
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        assert isinstance(new, GitHubRetry)
        retry_after = new.get_retry_after(response) if response is not None else None
        wait = retry_after if retry_after is not None else new.get_backoff_time()
        if wait > MAX_WAIT or wait >= self.remaining():
            cause = error or ResponseError(f"{_reason(error, response)}; waiting {wait:.0f} s exceeds the budget")
            raise MaxRetryError(_pool, url or "", cause) from error
        new.planned_wait = wait
        if self.log is not None:
            attempt = MAX_ATTEMPTS - (new.total or 0)  # throttling answers use up no attempt
            self.log(
                f"GitHub request {method} {path} failed ({_reason(error, response)}); "
                f"retrying in {wait:.1f} s (attempt {attempt} of {MAX_ATTEMPTS})."
            )
        return new

    def _throttled(
        self, method: str | None, url: str | None, path: str, response: Any, asked: float, pool: Any
    ) -> GitHubRetry:
        """Wait out a throttling answer without using up an attempt, if the budget allows."""
        remaining = self.remaining()
        if self.throttled >= MAX_THROTTLED or asked >= remaining:
            raise MaxRetryError(pool, url or "", ResponseError(f"HTTP {response.status}: throttled"))
        wait = min(jittered(asked), remaining - 0.01)
        entry = RequestHistory(method, url, None, response.status, None)
        new = self.new(history=(*self.history, entry))
        new.throttled = self.throttled + 1
        new.planned_wait = wait
        if self.log is not None:
            self.log(
                f"GitHub is throttling requests (HTTP {response.status} on {method} {path}); "
                f"trying again in {wait:.1f} s as it asks ({new.throttled} so far, "
                f"{remaining:.0f} s of the budget left)."
            )
        return new


def make_retry(
    log: Callable[[str], None] | None = None, budget: float = BUDGET, clock: Clock = SYSTEM_CLOCK
) -> GitHubRetry:
    """Return the retry policy for one stage, whose budget of ``budget`` seconds starts now on ``clock``."""
    return GitHubRetry(
        total=MAX_ATTEMPTS - 1,
        connect=MAX_ATTEMPTS - 1,
        read=MAX_ATTEMPTS - 1,
        status=MAX_ATTEMPTS - 1,
        other=0,
        redirect=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST", "DELETE"}),
        backoff_factor=0.5,
        backoff_jitter=0.5,
        backoff_max=8.0,
        respect_retry_after_header=True,
        raise_on_status=False,
        log=log,
        deadline=clock.monotonic() + budget,
        clock=clock,
    )
