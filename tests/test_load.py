"""A matrix's worth of jobs minting at once against GitHub's secondary rate limits (the emulator's model).

Bounded: a fixed number of runs against loopback, each step with its own time budget.
bench/load.py runs the 256-job version and prints the figures.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from github_app_token.app_jwt import AppAuth
from github_app_token.errors import GitHubAPIError
from github_app_token.github_api import GitHubAPI
from github_app_token.private_key import load_private_key
from tests.github_emulator import App, GitHubEmulator, Throttle
from tests.load import check_nothing_lost, run_concurrently, summary


def inputs(app: App, key_pem: str) -> dict[str, str]:
    return {"client-id": app.client_id, "private-key": key_pem, "permission-contents": "read"}


def test_64_jobs_at_once_all_get_a_token_although_many_are_throttled(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    # 6 requests in flight at 50 ms each, 24 tokens per 2 s: capacity for all 64 well within a budget.
    emulator.throttle = Throttle(max_in_flight=6, tokens_per_window=24, window=2.0, latency=0.05)
    runs = run_concurrently(emulator, inputs(app, app_key_pem), 64, tmp_path)
    figures = summary(runs)
    assert figures["succeeded"] == 64, [run.main.errors for run in runs if not run.ok]
    assert emulator.throttle.throttled >= 32 and figures["throttled runs"] >= 16, figures
    assert emulator.throttle.peak_in_flight <= 6
    assert len(emulator.tokens) == 64
    check_nothing_lost(emulator, runs, app_key_pem)


def test_when_capacity_runs_out_the_rest_fail_clearly_and_lose_nothing(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    # 6 tokens per 2 minutes: 10 of 16 jobs cannot get one within their 30 s budget.
    emulator.throttle = Throttle(max_in_flight=4, tokens_per_window=6, window=120.0, latency=0.02)
    started = time.monotonic()
    runs = run_concurrently(emulator, inputs(app, app_key_pem), 16, tmp_path)
    figures = summary(runs)
    assert (figures["succeeded"], figures["failed"]) == (6, 10), figures
    assert time.monotonic() - started < 30  # a reset beyond the budget is not waited for
    for run in runs:
        if not run.ok:
            assert "HTTP 429" in run.main.errors[0] and "secondary rate limit" in run.main.errors[0]
    check_nothing_lost(emulator, runs, app_key_pem)


def test_throttling_uses_up_no_attempt(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    """Eight throttling answers in a row, then success: more than the four attempts failures get."""
    emulator.throttle = Throttle(max_in_flight=0, retry_after=0)  # everything is throttled ...
    lines: list[str] = []
    api = GitHubAPI(emulator.url, log=lines.append, budget=25)
    auth = AppAuth(app.client_id, load_private_key(app_key_pem))

    def open_the_gate_after_eight() -> None:
        while emulator.throttle.throttled < 8:
            time.sleep(0.01)
        emulator.throttle.max_in_flight = None  # ... until GitHub lets requests through again

    gate = threading.Thread(target=open_the_gate_after_eight, daemon=True)
    gate.start()
    installations = api.list_installations(auth)
    api.close()
    gate.join(5)
    assert len(installations) == 3
    assert sum("GitHub is throttling requests" in line for line in lines) >= 8
    assert not any("attempt" in line for line in lines)


def test_throttling_past_the_budget_gives_up_within_it(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    emulator.throttle = Throttle(max_in_flight=0, retry_after=1)
    api = GitHubAPI(emulator.url, budget=2)
    auth = AppAuth(app.client_id, load_private_key(app_key_pem))
    started = time.monotonic()
    with pytest.raises(GitHubAPIError, match="HTTP 403: You have exceeded a secondary rate limit"):
        api.get_app(auth)
    api.close()
    assert time.monotonic() - started < 2.5
