#!/usr/bin/env python3
"""Benchmark ``lifetime: job``: what the token broker adds to the main step, and what it costs while it runs.

Usage: ``bench/run broker [--runs N]``

Runs the main step in the container as the runner does (the image ``github-app-token:test``, which
the container tier builds; a Docker engine), N times (default 10) with ``lifetime: hour`` and N
times with ``lifetime: job`` (each followed by its post step), alternating, and prints the main
and post steps' median, min and max wall time for each, from ``docker run`` to exit. Then, for one
broker: its memory (``docker stats``); the time to get a token through it (N requests for the
current one; one that it mints, once the first has under a sixth of its 12 s life left), against
minting one directly (N token requests, ``POST /app/installations/{id}/access_tokens``, from this
process); and the image's start time (N ``docker run`` of its Python doing nothing). Everything
runs against the local emulator on loopback.
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
    memory = new = ""
    through: list[float] = []
    direct: list[float] = []
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
                    for _ in range(args.runs):
                        started = time.perf_counter()
                        ask(directory, "GET", "/token")
                        through.append(time.perf_counter() - started)
                    time.sleep(11)  # the first token (12 s) has under a sixth of its life left: the broker mints
                    started = time.perf_counter()
                    ask(directory, "GET", "/token")
                    new = f"{(time.perf_counter() - started) * 1000:.1f} ms"
                    direct = mint_directly(emulator, key, args.runs)
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
    print(f"  a current token through the broker   {stats(through)}")
    print(f"  a token minted directly (1 request)  {stats(direct)}")
    print(f"  a token the broker mints: {new}")
    print(f"  image start (docker run, Python exits) {stats(image_start(args.runs))}")
    return 0


def mint_directly(emulator: GitHubEmulator, key: str, runs: int) -> list[float]:
    """Seconds for each of ``runs`` token requests from this process, the installation known (as the broker asks)."""
    from github_app_token.app_jwt import AppAuth
    from github_app_token.github_api import GitHubAPI
    from github_app_token.private_key import load_private_key

    inst = next(i for i in emulator.installations.values() if i.account.login == "octo-org")
    signer = AppAuth(emulator.apps[0].client_id, load_private_key(key))
    api = GitHubAPI(emulator.url)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        api.create_installation_token(inst.id, signer, {"repositories": ["app"], "permissions": {"contents": "read"}})
        seconds.append(time.perf_counter() - started)
    api.close()
    return seconds


def image_start(runs: int) -> list[float]:
    """Seconds for each of ``runs`` ``docker run --rm`` of the image's Python doing nothing."""
    argv = ["docker", "run", "--rm", "--entrypoint", "/usr/local/bin/python3", IMAGE, "-I", "-c", "pass"]
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return seconds


if __name__ == "__main__":
    raise SystemExit(main())
