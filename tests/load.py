"""Many jobs minting at once against one emulator, as a large matrix does (used by the tests and bench/).

Each run is one job: the main step, then the post step with main's state, each a process run as
the runner runs it (``tests/runner_harness.py``), all started together from a thread pool.
:func:`check_nothing_lost` states what must hold whatever the throttling.
"""

from __future__ import annotations

import re
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.github_emulator import GitHubEmulator
from tests.runner_harness import Job, StepResult, assert_no_leaks, assert_only_our_commands, jwts_seen

THROTTLED = re.compile(r"GitHub is throttling requests")
RETRIED = re.compile(r"; retrying in [0-9.]+ s \(attempt")
PLANNED = re.compile(r"(?:trying again|retrying) in ([0-9.]+) s")


def planned_waits(log: str) -> list[float]:
    """Every wait a step announced (throttling and retries), in seconds."""
    return [float(wait) for wait in PLANNED.findall(log)]


@dataclass
class LoadRun:
    main: StepResult
    post: StepResult

    @property
    def ok(self) -> bool:
        return self.main.exit_code == 0

    @property
    def waits(self) -> int:
        """Throttling answers waited out plus failures retried, in both steps."""
        log = self.main.stdout + self.post.stdout
        return len(THROTTLED.findall(log)) + len(RETRIED.findall(log))


def run_concurrently(emulator: GitHubEmulator, inputs: dict[str, str], count: int, root: Path) -> list[LoadRun]:
    """Run ``count`` jobs (main then post) at once; every one in its own runner directories."""

    def one(index: int) -> LoadRun:
        job = Job(root / f"job-{index}", emulator.url)
        main = job.run("main", inputs, timeout=120)
        return LoadRun(main, job.run("post", inputs, state=main.state, timeout=120))

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def check_nothing_lost(emulator: GitHubEmulator, runs: list[LoadRun], private_key_pem: str) -> None:
    """Every token GitHub issued is either the output of exactly one successful run and revoked by
    its post step, or revoked by the run that failed; failures say why in one ``::error::`` line;
    no secret appears in any log.
    """
    handed_over = [run.main.outputs["token"] for run in runs if run.ok]
    assert len(handed_over) == len(set(handed_over)), "a token was handed to two runs"
    for token, issued in emulator.tokens.items():
        assert issued.revoked, "a token GitHub issued was left valid"
        assert handed_over.count(token) <= 1
    assert set(handed_over) <= set(emulator.tokens)
    for run in runs:
        if run.ok:
            assert "Revoked the installation access token." in run.post.stdout, run.post.log
        else:
            assert len(run.main.errors) == 1 and "Traceback" not in run.main.log, run.main.log
    jwts = jwts_seen(emulator.exchanges)
    tokens = list(emulator.tokens)
    for run in runs:
        assert_no_leaks([run.main, run.post], tokens=tokens, jwts=jwts, private_key_pem=private_key_pem)
        assert_only_our_commands([run.main, run.post], tokens, jwts=jwts)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(runs: list[LoadRun]) -> dict[str, float]:
    """Successes, failures, waits per run and time to token (main step, seconds)."""
    times = [run.main.seconds for run in runs]
    waits = [run.waits for run in runs]
    return {
        "runs": len(runs),
        "succeeded": sum(run.ok for run in runs),
        "failed": sum(not run.ok for run in runs),
        "throttled runs": sum(w > 0 for w in waits),
        "waits per run (mean)": statistics.mean(waits),
        "waits per run (max)": max(waits),
        "time to token p50": percentile(times, 0.50),
        "time to token p95": percentile(times, 0.95),
        "time to token max": max(times),
    }
