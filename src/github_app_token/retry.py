"""Retry policy for GitHub requests, built on urllib3's ``Retry``.

Retried: connection errors and resets, read timeouts, HTTP 429/500/502/503/504, and
GitHub's secondary rate limit (403 with ``Retry-After``, or with
``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``). Any other 4xx fails at once.
At most :data:`MAX_ATTEMPTS` attempts per request, exponential backoff with jitter,
``Retry-After`` honoured up to :data:`MAX_WAIT` seconds, and no retry that would end
after the stage's budget of :data:`BUDGET` seconds. Sources: GitHub Docs "Best
practices for using the REST API" (rate limits) and "Rate limits for the REST API".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

MAX_ATTEMPTS = 4
#: Seconds a stage may spend on retries, from the client's creation.
BUDGET = 30.0
#: Longest wait in seconds honoured from ``Retry-After`` or ``x-ratelimit-reset``.
MAX_WAIT = 20.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


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
    """``Retry`` that knows GitHub's secondary rate limit, a time budget and a log.

    ``log`` receives one line per retry; ``deadline`` is a ``time.monotonic()`` value
    after which no retry starts.
    """

    def __init__(
        self,
        *args: Any,
        log: Callable[[str], None] | None = None,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.log = log
        self.deadline = deadline

    def new(self, **kw: Any) -> GitHubRetry:
        retry = super().new(**kw)
        assert isinstance(retry, GitHubRetry)
        retry.log, retry.deadline = self.log, self.deadline
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # 403 is a candidate here; increment() lets it through only for a rate limit.
        return status_code == 403 or super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: Any) -> float | None:
        """Seconds to wait as GitHub asks: ``Retry-After``, else ``x-ratelimit-reset``."""
        wait = super().get_retry_after(response)
        headers = response.headers
        if wait is None and headers.get("x-ratelimit-remaining") == "0":
            try:
                wait = max(0.0, float(headers.get("x-ratelimit-reset", "")) - time.time())
            except ValueError:
                wait = None
        return wait

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> GitHubRetry:
        if response is not None and response.status == 403:
            limited = response.headers.get("Retry-After") or response.headers.get("x-ratelimit-remaining") == "0"
            if not limited:
                raise MaxRetryError(_pool, url or "", ResponseError("HTTP 403"))
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        assert isinstance(new, GitHubRetry)
        wait = new.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = new.get_backoff_time()
        remaining = (self.deadline - time.monotonic()) if self.deadline is not None else float("inf")
        if wait > MAX_WAIT or wait >= remaining:
            cause = error or ResponseError(f"{_reason(error, response)}; waiting {wait:.0f} s exceeds the budget")
            raise MaxRetryError(_pool, url or "", cause) from error
        if self.log is not None:
            attempt = len(new.history) + 1
            self.log(
                f"GitHub request {method} {(url or '').split('?')[0]} failed ({_reason(error, response)}); "
                f"retrying in {wait:.1f} s (attempt {attempt} of {MAX_ATTEMPTS})."
            )
        return new


def make_retry(log: Callable[[str], None] | None = None, budget: float = BUDGET) -> GitHubRetry:
    """Return the retry policy for one stage, whose budget starts now."""
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
        deadline=time.monotonic() + budget,
    )
