#!/usr/bin/env python3
"""Benchmark ``lifetime: job``: what the token broker adds to the main step, and what it costs while it runs.

Usage: ``bench/run broker [--runs N]``

Runs the main step in the container as the runner does (the image ``github-app-token:test``, which
the container tier builds; a Docker engine), N times with ``lifetime: hour`` and N times with
``lifetime: job`` (each followed by its post step), alternating, and prints the main step's median,
min and max wall time for each, from ``docker run`` to exit; then, for one broker: its memory
(``docker stats``), the time from asking it for a token to the answer for a current one and for a
new one, and the post step's time with it. Everything runs against the local emulator on loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from github_app_token.broker.stop import ask  # noqa: E402
from tests.github_emulator import GitHubEmulator, default_world, pem_pkcs1  # noqa: E402
from tests.runner_harness import Job  # noqa: E402

IMAGE = "github-app-token:test"


def stats(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):7.1f} ms  (min {min(ms):7.1f}, max {max(ms):7.1f}, n={len(ms)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode != 0:
        raise SystemExit(f"no image {IMAGE}: run CONTAINER_TESTS=1 scripts/test -k container first")
    emulator = GitHubEmulator()
    app = default_world(emulator)
    key = pem_pkcs1(app.private_key)
    base = {"client-id": app.client_id, "private-key": key, "repositories": "app", "permission-contents": "read"}
    timings: dict[str, list[float]] = {"hour": [], "job": []}
    posts: dict[str, list[float]] = {"hour": [], "job": []}
    memory = fresh = new = ""
    with emulator, tempfile.TemporaryDirectory() as tmp:
        for index in range(args.runs):
            for lifetime in ("hour", "job"):
                job = Job(Path(tmp) / f"{lifetime}-{index}", emulator.url, image=IMAGE)
                inputs = {**base, "lifetime": lifetime}
                emulator.token_lifetime = 12 if (lifetime, index) == ("job", 0) else 3600  # the first: short-lived
                main = job.run("main", inputs)
                if main.exit_code != 0:
                    raise SystemExit(main.log)
                timings[lifetime].append(main.seconds)
                if lifetime == "job" and index == 0:
                    broker = json.loads(main.state["broker"])
                    directory = str(job.root / "runner_temp" / Path(broker["directory"]).name)
                    usage = subprocess.run(
                        ["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", broker["container"]],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout.strip()
                    memory = usage
                    started = time.perf_counter()
                    ask(directory, "GET", "/token")
                    fresh = f"{(time.perf_counter() - started) * 1000:.1f} ms"
                    time.sleep(11)  # the first token (12 s) has under a sixth of its life left: the broker mints
                    started = time.perf_counter()
                    ask(directory, "GET", "/token")
                    new = f"{(time.perf_counter() - started) * 1000:.1f} ms"
                post = job.run("post", inputs, state=main.state)
                posts[lifetime].append(post.seconds)
    print(f"{args.runs} runs each, image {IMAGE}, emulator on loopback, {os.cpu_count()} CPUs")
    for lifetime in ("hour", "job"):
        print(f"  main step, lifetime: {lifetime:4}  {stats(timings[lifetime])}")
    added = statistics.median(timings["job"]) - statistics.median(timings["hour"])
    print(f"  the broker adds to the main step: {added * 1000:.0f} ms (medians)")
    for lifetime in ("hour", "job"):
        print(f"  post step, lifetime: {lifetime:4}  {stats(posts[lifetime])}")
    print(f"  broker's memory (docker stats): {memory}")
    print(f"  a token from the broker: current one {fresh}; a new one (minted) {new}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
