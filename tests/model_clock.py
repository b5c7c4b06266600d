"""A model of time for the retry policy: waits are recorded and pass at once (no wall clock involved)."""

from __future__ import annotations

import time


class ModelClock:
    """A :class:`github_app_token.retry.Clock` whose ``sleep`` advances it instantly.

    ``monotonic()`` and ``time()`` move only by what was slept; ``slept`` lists each wait in seconds.
    """

    def __init__(self, start: float | None = None) -> None:
        self.elapsed = 0.0
        self.epoch = time.time() if start is None else start
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.elapsed

    def time(self) -> float:
        return self.epoch + self.elapsed

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.elapsed += seconds
