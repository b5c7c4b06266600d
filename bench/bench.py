#!/usr/bin/env python3
"""Benchmark the action's steps against the local GitHub API emulator.

Usage: ``bench/run [--runs N] [--no-container]``

Prints, each as the median of N runs (default 20) with min and max:
- main-step and post-step wall time, from process start to exit (outputs written),
  with the local interpreter (bytecode compiled first) and inside the container;
- the import-time breakdown of each stage (``python -X importtime``), top entries;
- the HTTP requests of each stage (main, main with ``installation-id``, post);
- the image's size, uncompressed and gzip-compressed, and its dependencies' footprint.
The container part needs a Docker engine and the image ``github-app-token:test`` (the
container tier of the tests builds it); it is skipped with a reason otherwise.
"""

from __future__ import annotations

import argparse
import compileall
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.github_emulator import GitHubEmulator, default_world, pem_pkcs1  # noqa: E402
from tests.runner_harness import ENTRYPOINT, Job  # noqa: E402

IMAGE = "github-app-token:test"
TARGETS_MS = {"main": 200, "post": 120}


def stats(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):6.1f} ms  (min {min(ms):6.1f}, max {max(ms):6.1f}, n={len(ms)})"


def time_steps(job: Job, inputs: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    mains, posts = [], []
    for _ in range(runs):
        main = job.run("main", inputs)
        if main.exit_code != 0:
            raise SystemExit(f"main step failed:\n{main.log}")
        post = job.run("post", inputs, state=main.state)
        if "Revoked" not in post.stdout:
            raise SystemExit(f"post step failed:\n{post.log}")
        mains.append(main.seconds)
        posts.append(post.seconds)
    return mains, posts


def import_breakdown(stage_argv: list[str], env: dict[str, str], top: int = 8) -> list[str]:
    """Top cumulative entries of ``-X importtime`` for one run of a stage."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *stage_argv], env=env, capture_output=True, text=True, check=False
    )
    rows: list[tuple[int, str]] = []
    total = 0
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match and len(match.group(3)) <= 3:  # top-level imports and their direct children
            rows.append((int(match.group(2)), match.group(4)))
            if len(match.group(3)) == 1:
                total += int(match.group(2))
    rows.sort(reverse=True)
    return [f"{us / 1000:7.1f} ms  {name}" for us, name in rows[:top]] + [f"{total / 1000:7.1f} ms  (all imports)"]


def count_requests(emulator: GitHubEmulator, run: Callable[[], object]) -> list[str]:
    before = len(emulator.exchanges)
    run()
    return [f"{e.method} {e.path}" for e in emulator.exchanges[before:]]


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def container_available() -> str:
    if shutil.which("docker") is None:
        return "no docker client"
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        return "no Docker engine running"
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False).returncode != 0:
        return f"no image {IMAGE} (run: CONTAINER_TESTS=1 scripts/test -k container)"
    return ""


def image_sizes() -> list[str]:
    size = int(docker("image", "inspect", "--format", "{{.Size}}", IMAGE))
    save = subprocess.Popen(["docker", "save", IMAGE], stdout=subprocess.PIPE)
    gz = subprocess.run(["gzip", "-6", "-c"], stdin=save.stdout, capture_output=True, check=True)
    save.wait()
    sizes = (  # the image has no shell: its own interpreter measures the two trees
        "import os, site\n"
        "def size(top): return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(top) for f in fs)\n"
        "print(size(site.getsitepackages()[0]) // 1000, size('/action') // 1000)"
    )
    deps = docker("run", "--rm", "--entrypoint", "/usr/local/bin/python3", IMAGE, "-I", "-c", sizes)
    site_kb, action_kb = (int(x) for x in deps.split())
    return [
        f"image uncompressed: {size / 1e6:6.1f} MB",
        f"image compressed (docker save | gzip -6): {len(gz.stdout) / 1e6:6.1f} MB",
        f"installed dependencies (site-packages): {site_kb / 1000:6.1f} MB; /action: {action_kb} kB",
    ]


def owners_in_flight(runs: int, latency: float = 0.1) -> list[str]:
    """Seconds to mint for N owners with 1, 2 and 4 in flight (core.mint, in-process).

    The emulator answers each request after ``latency`` seconds, as GitHub does over the network.
    """
    from github_app_token.app_jwt import AppAuth
    from github_app_token.core import MintRequest, mint
    from github_app_token.github_api import GitHubAPI
    from github_app_token.inputs import InstallationTarget, TokenScope
    from tests.github_emulator import Throttle

    emulator = GitHubEmulator()
    app = default_world(emulator)
    emulator.throttle = Throttle(latency=latency)
    owners = []
    for index in range(10):
        account = emulator.add_account(f"owner-{index}")
        emulator.add_repository(account, "repo")
        emulator.install(app, account, None, {"contents": "read"})
        owners.append(account.login)
    rows = [f"{'owners':>8}" + "".join(f"{f'{n} in flight':>14}" for n in (1, 2, 4))]
    with emulator:
        for count in (1, 2, 3, 5, 10):
            scopes = tuple(TokenScope(InstallationTarget(owner), None, {}) for owner in owners[:count])
            request = MintRequest(
                AppAuth(app.client_id, app.private_key), "client-id", scopes, "https://github.example"
            )
            cells = []
            for in_flight in (1, 2, 4):
                times = []
                for _ in range(runs):
                    api = GitHubAPI(emulator.url)
                    started = time.perf_counter()
                    mint(request, api, in_flight=in_flight)
                    times.append(time.perf_counter() - started)
                    api.close()
                cells.append(f"{statistics.median(times):>12.2f} s")
            rows.append(f"{count:>8}" + "".join(cells))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-container", action="store_true")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "src"), quiet=1)

    emulator = GitHubEmulator()
    app = default_world(emulator)
    with emulator, tempfile.TemporaryDirectory() as tmp:
        key = pem_pkcs1(app.private_key)
        inputs = {"client-id": app.client_id, "private-key": key}
        job = Job(Path(tmp) / "local", emulator.url)
        print(f"Python {sys.version.split()[0]}, {args.runs} runs each, emulator at {emulator.url}\n")

        time_steps(job, inputs, 2)  # warm the file cache
        mains, posts = time_steps(job, inputs, args.runs)
        print("Local interpreter (process start to exit):")
        for stage, values in (("main", mains), ("post", posts)):
            median = statistics.median(values) * 1000
            verdict = "met" if median <= TARGETS_MS[stage] else "NOT met"
            print(f"  {stage}: {stats(values)}  target {TARGETS_MS[stage]} ms: {verdict}")

        print("\nHTTP requests per stage:")
        org = next(i for i in emulator.installations.values() if i.account.login == "octo-org")
        state: dict[str, str] = {}

        def run_main(extra: dict[str, str]) -> None:
            state.clear()
            state.update(job.run("main", {**inputs, **extra}).state)

        for label, extra in (("main", {}), ("main with installation-id", {"installation-id": str(org.id)})):
            requests = count_requests(emulator, lambda extra=extra: run_main(extra))  # type: ignore[misc]
            print(f"  {label}: {len(requests)}  ({', '.join(requests)})")
        requests = count_requests(emulator, lambda: job.run("post", inputs, state=dict(state)))
        print(f"  post: {len(requests)}  ({', '.join(requests)})")

        env = job.runner_env("main")
        env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
        env["INPUT_GITHUB-API-URL"] = emulator.url
        print("\nImport time, main stage (cumulative, top entries):")
        print("\n".join("  " + row for row in import_breakdown(["-I", str(ENTRYPOINT)], env)))
        post_env = {**job.runner_env("post"), **{f"STATE_{k}": v for k, v in state.items()}}
        post_env["INPUT_GITHUB-API-URL"] = emulator.url
        print("Import time, post stage (cumulative, top entries):")
        print("\n".join("  " + row for row in import_breakdown(["-I", str(job.root / "action" / "post")], post_env)))

        print(f"\nSeveral owners in one step (median of {min(args.runs, 5)}, {0.1:g} s per request):")
        print("\n".join("  " + row for row in owners_in_flight(min(args.runs, 5))))

        reason = "--no-container given" if args.no_container else container_available()
        print("\nContainer:")
        if reason:
            print(f"  skipped: {reason}")
            return 0
        cjob = Job(Path(tmp) / "container", emulator.url, image=IMAGE)
        time_steps(cjob, inputs, 1)
        cmains, cposts = time_steps(cjob, inputs, args.runs)
        print(f"  main (docker run to exit): {stats(cmains)}")
        print(f"  post (docker run to exit): {stats(cposts)}")
        print("\n".join("  " + line for line in image_sizes()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
