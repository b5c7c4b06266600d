#!/usr/bin/env python3
"""Load benchmark: a 256-job matrix minting at once against GitHub's secondary rate limits.

Usage: ``bench/run load [--runs N] [--in-flight N] [--latency S] [--tokens N] [--window S]``

Starts the emulator with a model of GitHub's secondary rate limits (``tests/github_emulator.py``,
``Throttle``): at most ``--in-flight`` requests served at once (more get 403 + ``Retry-After``),
each taking ``--latency`` seconds, and at most ``--tokens`` token creations per ``--window``
seconds (more get 429 + ``x-ratelimit-reset``). Then runs ``--runs`` jobs at once, each the
main step then the post step as the runner runs them, checks that nothing was lost (every token
handed over exactly once and revoked, or revoked by its failed run; no secret in any log), and
prints successes, failures, waits per run and p50/p95/max time to token (main step, process
start to exit). Everything runs on loopback and every step has its own time budget.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.github_emulator import GitHubEmulator, Throttle, default_world, pem_pkcs1  # noqa: E402
from tests.load import check_nothing_lost, run_concurrently, summary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=256)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args()
    emulator = GitHubEmulator()
    app = default_world(emulator)
    emulator.throttle = Throttle(
        max_in_flight=args.in_flight, tokens_per_window=args.tokens, window=args.window, latency=args.latency
    )
    key = pem_pkcs1(app.private_key)
    inputs = {"client-id": app.client_id, "private-key": key, "permission-contents": "read"}
    print(
        f"{args.runs} jobs at once; caps: {args.in_flight} requests in flight ({args.latency:g} s each), "
        f"{args.tokens} tokens per {args.window:g} s"
    )
    with emulator, tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        runs = run_concurrently(emulator, inputs, args.runs, Path(tmp))
        elapsed = time.monotonic() - started
        check_nothing_lost(emulator, runs, key)
    figures = summary(runs)
    throttled = emulator.throttle.throttled
    print(f"  wall time: {elapsed:.1f} s; requests: {len(emulator.exchanges)}; throttling answers: {throttled}")
    for name, value in figures.items():
        unit = " s" if name.startswith("time") else ""
        print(f"  {name}: {value:.2f}{unit}" if isinstance(value, float) else f"  {name}: {value}")
    print("  nothing lost: every token handed over once and revoked; no secret in any log")
    return 0  # failures beyond capacity are expected; check_nothing_lost raised if anything was lost


if __name__ == "__main__":
    raise SystemExit(main())
