"""A matrix's worth of jobs minting at once against GitHub's secondary rate limits (the emulator's model).

Bounded: a fixed number of runs against loopback, each step with its own time budget. Throttling
is decided by the emulator's schedules (by count), never by how many requests happen to overlap,
so every count asserted here is the same on an idle machine and on a busy one; the figures that
depend on speed (times to token, requests in flight) are measured by bench/load.py, not asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from github_app_token.app_jwt import AppAuth
from github_app_token.errors import GitHubAPIError
from github_app_token.github_api import GitHubAPI
from github_app_token.private_key import load_private_key
from github_app_token.retry import BUDGET
from tests.github_emulator import App, GitHubEmulator, Throttle
from tests.load import check_nothing_lost, planned_waits, run_concurrently, summary
from tests.model_clock import ModelClock


def inputs(app: App, key_pem: str) -> dict[str, str]:
    return {"client-id": app.client_id, "private-key": key_pem, "permission-contents": "read"}


def test_64_jobs_at_once_all_get_a_token_although_many_are_throttled(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    # Every other request among the first 96 is throttled (403, Retry-After: 1), and the 25th to
    # 32nd token creations meet the token limit (429, reset a second ahead). 64 jobs make 192
    # requests when nothing is throttled, so exactly 48 + 8 throttling answers are given.
    emulator.throttle = Throttle(
        schedule=lambda n: n % 2 == 0 and n <= 96, token_schedule=lambda n: 25 <= n <= 32, retry_after=1
    )
    runs = run_concurrently(emulator, inputs(app, app_key_pem), 64, tmp_path)
    figures = summary(runs)
    assert figures["succeeded"] == 64, [run.main.errors for run in runs if not run.ok]
    assert emulator.throttle.throttled == 56, figures
    assert sum(run.waits for run in runs) == 56  # each throttling answer was waited out, none retried as a failure
    for run in runs:  # every wait was planned within the step's budget
        assert sum(planned_waits(run.main.stdout)) < BUDGET
        assert sum(planned_waits(run.post.stdout)) < BUDGET
    assert len(emulator.tokens) == 64
    check_nothing_lost(emulator, runs, app_key_pem)


def test_when_capacity_runs_out_the_rest_fail_clearly_and_lose_nothing(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    # 6 tokens per hour of the emulator's clock: 10 of 16 jobs cannot get one within their budget.
    emulator.throttle = Throttle(tokens_per_window=6, window=3600.0)
    runs = run_concurrently(emulator, inputs(app, app_key_pem), 16, tmp_path)
    figures = summary(runs)
    assert (figures["succeeded"], figures["failed"]) == (6, 10), figures
    for run in runs:
        if not run.ok:
            assert "HTTP 429" in run.main.errors[0] and "secondary rate limit" in run.main.errors[0]
            assert planned_waits(run.main.stdout) == []  # a reset beyond the budget is not waited for
    check_nothing_lost(emulator, runs, app_key_pem)


def test_throttling_uses_up_no_attempt(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    """Eight throttling answers in a row, then success: more than the four attempts failures get."""
    emulator.throttle = Throttle(schedule=lambda n: n <= 8, retry_after=0)
    lines: list[str] = []
    clock = ModelClock()
    api = GitHubAPI(emulator.url, log=lines.append, budget=25, clock=clock)
    auth = AppAuth(app.client_id, load_private_key(app_key_pem))
    installations = api.list_installations(auth)
    api.close()
    assert len(installations) == 3
    assert emulator.throttle.throttled == 8
    assert sum("GitHub is throttling requests" in line for line in lines) == 8
    assert len(clock.slept) == 8 and all(0 <= wait <= 1 for wait in clock.slept)  # Retry-After 0, plus jitter
    assert not any("attempt" in line for line in lines)


def test_throttling_past_the_budget_gives_up_within_it(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    emulator.throttle = Throttle(schedule=lambda n: True, retry_after=1)
    clock = ModelClock()
    api = GitHubAPI(emulator.url, budget=2, clock=clock)
    auth = AppAuth(app.client_id, load_private_key(app_key_pem))
    with pytest.raises(GitHubAPIError, match="HTTP 403: You have exceeded a secondary rate limit"):
        api.get_app(auth)
    api.close()
    assert clock.slept, "the first throttling answer is waited out"
    assert sum(clock.slept) < 2  # no wait that would end past the budget was started
