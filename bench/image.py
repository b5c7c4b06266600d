#!/usr/bin/env python3
"""Image benchmark: the action's image now, side by side with the image of an earlier commit.

Usage: ``bench/run image [--previous REV] [--runs N] [--pulls N]``

Builds both images on the same base (the stand-in, tests/container/make-base-image.sh): the
working tree's Dockerfile, and REV's (default: the last commit before the minimal image,
``a43ebf4``, from ``git archive``). For each it reports:
- size uncompressed (``docker image inspect``) and compressed (``docker save | gzip -6``);
- the number of layers;
- cold pull time from a local reference registry (Debian's ``docker-registry`` on 127.0.0.1)
  into a second, empty Docker engine (its own data root), as a runner pulls a ``docker://``
  action before the first step: median of ``--pulls``, the image removed between pulls;
- each step's wall time in the container (``docker run`` to exit, as the runner runs it,
  against the emulator), and the same minus a bare ``docker run`` of the image (its
  interpreter started with ``-I -S -c ''``): what the action's Python costs inside the container.
Needs root, a Docker engine (started if none runs), and the machine's package registries for
the builds. Everything else is loopback.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench import time_steps  # noqa: E402  (bench/bench.py, beside this script)
from tests.docker_tier import (  # noqa: E402
    EngineUnavailable,
    LocalRegistry,
    build_image,
    docker,
    engine_up,
    stand_in_base,
    start_engine,
)
from tests.github_emulator import GitHubEmulator, default_world, pem_pkcs1  # noqa: E402
from tests.runner_harness import Job  # noqa: E402

PREVIOUS = "a43ebf4"  # main before the minimal image (issue 10)


def compressed_size(image: str) -> int:
    save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
    assert save.stdout is not None
    size = 0
    with tempfile.TemporaryFile() as sink:
        with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6) as compressor:
            while chunk := save.stdout.read(1 << 20):
                compressor.write(chunk)
        size = sink.tell()
    save.wait()
    return size


def cold_pulls(reference: str, host: str, count: int) -> list[float]:
    """Seconds for ``docker pull reference`` into the empty engine at ``host``, ``count`` times."""
    env = {"DOCKER_HOST": host, "PATH": "/usr/bin:/bin:/usr/local/bin"}
    times = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run(["docker", "pull", "-q", reference], env=env, check=True, capture_output=True, timeout=600)
        times.append(time.perf_counter() - started)
        subprocess.run(["docker", "rmi", reference], env=env, check=True, capture_output=True)
        subprocess.run(["docker", "image", "prune", "-af"], env=env, check=True, capture_output=True)
    return times


def bare_runs(image: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        docker("run", "--rm", "--entrypoint", "/usr/local/bin/python3", image, "-I", "-S", "-c", "")
        times.append(time.perf_counter() - started)
    return times


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--previous", default=PREVIOUS, help="git revision of the image to compare with")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pulls", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engine = None
        try:
            if not engine_up():
                engine = start_engine(work / "dockerd.log")
            second = start_engine(
                work / "dockerd-cold.log",
                f"--data-root={work / 'cold-data'}",
                f"--exec-root={work / 'cold-exec'}",
                f"--pidfile={work / 'cold.pid'}",
                host=f"unix://{work / 'cold.sock'}",
            )
        except EngineUnavailable as reason:
            print(f"skipped: {reason}")
            return 0
        try:
            return compare(args, work, f"unix://{work / 'cold.sock'}")
        finally:
            second.terminate()
            second.wait(30)
            if engine is not None:
                engine.terminate()
                engine.wait(30)


def compare(args: argparse.Namespace, work: Path, cold_host: str) -> int:
    base = stand_in_base()
    revision = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.previous], capture_output=True, text=True, check=True
    ).stdout.strip()
    images = {f"previous ({revision})": "github-app-token:bench-previous", "now": "github-app-token:bench-now"}
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True).stdout
    build_image(base, images[f"previous ({revision})"], "-", stdin=archive)
    build_image(base, images["now"])
    emulator = GitHubEmulator()
    app = default_world(emulator)
    inputs = {"client-id": app.client_id, "private-key": pem_pkcs1(app.private_key)}
    rows: dict[str, dict[str, str]] = {}
    with emulator, LocalRegistry(work / "registry") as registry:
        for label, image in images.items():
            info = json.loads(docker("image", "inspect", image).stdout)[0]
            reference = registry.push(image, f"bench-{label.split()[0]}")
            pulls = cold_pulls(reference, cold_host, args.pulls)
            job = Job(work / f"job-{label.split()[0]}", emulator.url, image=image)
            time_steps(job, inputs, 1)  # warm
            mains, posts = time_steps(job, inputs, args.runs)
            bare = ms(bare_runs(image, args.runs))
            rows[label] = {
                "uncompressed": f"{info['Size'] / 1e6:.1f} MB",
                "compressed (save | gzip -6)": f"{compressed_size(image) / 1e6:.1f} MB",
                "layers": str(len(info["RootFS"]["Layers"])),
                f"cold pull from the registry (median of {args.pulls})": f"{ms(pulls):.0f} ms",
                "bare docker run (python3 -I -S -c '')": f"{bare:.0f} ms",
                "main step (docker run to exit)": f"{ms(mains):.0f} ms",
                "post step (docker run to exit)": f"{ms(posts):.0f} ms",
                "main minus bare run": f"{ms(mains) - bare:.0f} ms",
                "post minus bare run": f"{ms(posts) - bare:.0f} ms",
            }
    labels = list(rows)
    width = max(len(name) for name in rows[labels[0]])
    print(f"Images on the same base ({base}), {args.runs} runs per step, medians\n")
    print(f"{'':<{width}}  " + "  ".join(f"{label:>18}" for label in labels))
    for name in rows[labels[0]]:
        print(f"{name:<{width}}  " + "  ".join(f"{rows[label][name]:>18}" for label in labels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
