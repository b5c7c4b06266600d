"""The Docker engine, the stand-in base image and the action's image, for the container tiers.

Opt-in: these fixtures skip unless ``CI=true`` (as in ``.ci/run``) or ``CONTAINER_TESTS=1``.
A Docker engine is started when none is running (and stopped afterwards), a local stand-in
for the base image is made (``tests/container/make-base-image.sh``; no registry is
reachable here), and the Dockerfile is built with ``--build-arg BASE_IMAGE=<stand-in>``.
Where the real base image can be pulled, ``CONTAINER_BASE_IMAGE`` names it instead.
The fixtures are registered in ``tests/conftest.py`` so that every tier shares one engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.runner_harness import ROOT

RECIPE = ROOT / "tests" / "container" / "make-base-image.sh"
IMAGE = "github-app-token:test"


def _enabled() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("CONTAINER_TESTS") == "1"


def docker(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


class EngineUnavailable(Exception):
    """No Docker engine runs and none can be started here; ``str()`` says why."""


def start_engine(log: Path, *extra: str, host: str | None = None) -> subprocess.Popen[bytes]:
    """Start ``dockerd`` (overlay2, else vfs) with ``extra`` options; return it once it answers.

    ``host`` (a ``unix://`` address) starts a second, separate engine for the given options
    (``--data-root`` and so on). Raises :class:`EngineUnavailable` when none comes up.
    """
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        raise EngineUnavailable("no Docker engine is running, and dockerd cannot be started here (needs root)")
    client = {"DOCKER_HOST": host} if host else {}
    for driver in ("overlay2", "vfs"):
        with log.open("w") as handle:
            argv = ["dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none", f"--storage-driver={driver}"]
            argv += [*extra, *(["-H", host] if host else [])]
            process = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and process.poll() is None:
            if engine_up(client):
                return process
            time.sleep(0.5)
        process.terminate()
        process.wait(20)
    raise EngineUnavailable(f"a Docker engine could not be started here: {log.read_text()[-500:]}")


def engine_up(client: dict[str, str] | None = None) -> bool:
    try:
        env = {**os.environ, **(client or {})}
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20, env=env).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def stand_in_base() -> str:
    """Make (once per recipe) the local stand-in for the base image; return its tag."""
    tag = "github-app-token-base:standin-" + hashlib.sha256(RECIPE.read_bytes()).hexdigest()[:12]
    made = subprocess.run([str(RECIPE), tag], capture_output=True, text=True, timeout=1200, check=False)
    if made.returncode != 0:
        raise RuntimeError(f"stand-in base image failed:\n{made.stdout[-2000:]}\n{made.stderr[-2000:]}")
    return tag


def build_image(base: str, tag: str, context: str = str(ROOT), stdin: bytes | None = None) -> None:
    """``docker build`` the action's Dockerfile on ``base`` (``context`` "-" reads a tar from ``stdin``)."""
    built = subprocess.run(
        ["docker", "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}", "-t", tag, context],
        input=stdin,
        capture_output=True,
        timeout=1200,
        check=False,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},  # no buildx here: the classic builder
    )
    if built.returncode != 0:
        raise RuntimeError(f"docker build failed:\n{built.stdout[-3000:]!r}\n{built.stderr[-3000:]!r}")


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if not _enabled():
        pytest.skip("container tier is opt-in: set CONTAINER_TESTS=1 (CI=true turns it on)")
    if shutil.which("docker") is None:
        pytest.skip("no docker client on PATH (install Debian's docker.io)")
    started = None
    if not engine_up():
        try:
            started = start_engine(tmp_path_factory.mktemp("dockerd") / "dockerd.log")
        except EngineUnavailable as reason:
            pytest.skip(str(reason))
    yield
    if started is not None:
        started.terminate()
        started.wait(30)


@pytest.fixture
def run_id() -> str:
    """A test's own ``GITHUB_RUN_ID``: the brokers it starts carry it in a label, which nobody else's do."""
    return str(10**9 + secrets.randbelow(10**9))


@pytest.fixture
def no_broker_left(docker_engine: None, run_id: str) -> Iterator[None]:
    """Whatever the test does, no broker of its own outlives it (a failed assertion would leave one
    running); other tests' and other people's containers on the same engine are never touched."""
    yield
    remove_brokers_of(run_id)


def remove_brokers_of(run_id: str) -> None:
    """Remove the broker containers whose run-ID label is ``run_id``, and no other."""
    left = brokers_of(run_id)
    if left:
        docker("rm", "-f", *left, check=False)


def brokers_of(run_id: str) -> list[str]:
    """The IDs of the broker containers, running or not, whose run-ID label is ``run_id``."""
    return docker("ps", "-aq", "--filter", f"label=com.github.github-app-token.run-id={run_id}").stdout.split()


@pytest.fixture(scope="session")
def base_image(docker_engine: None) -> str:
    """The stand-in base image, or ``CONTAINER_BASE_IMAGE`` (e.g. the real one, where a registry is reachable)."""
    given = os.environ.get("CONTAINER_BASE_IMAGE", "")
    if given:
        if docker("image", "inspect", given, check=False).returncode != 0:
            docker("pull", given, timeout=900)
        return given
    return stand_in_base()


@pytest.fixture(scope="session")
def action_image(base_image: str) -> str:
    build_image(base_image, IMAGE)
    return IMAGE


@pytest.fixture(scope="session")
def registry(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    if shutil.which("docker-registry") is None:
        pytest.skip("no docker-registry (Debian's reference registry; tests/container/provision.sh installs it)")
    with LocalRegistry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture(scope="session")
def released_image(action_image: str, registry: LocalRegistry) -> str:
    """The image as released users get it: pushed, referred to by digest in action.yml, pulled.

    ``scripts/pin_image.py`` writes the ``docker://`` reference into a copy of action.yml; the
    reference is read back from there and pulled, as the runner does before the first step.
    """
    from scripts.pin_image import pin

    reference = registry.push(action_image, "github-app-token")
    pinned = yaml.safe_load(pin((ROOT / "action.yml").read_text(), reference))
    image = pinned["runs"]["image"].removeprefix("docker://")
    assert image == reference
    docker("pull", image, timeout=600)
    return str(image)


class LocalRegistry:
    """The reference registry (Debian's ``docker-registry``) on 127.0.0.1, storing under ``root``.

    Its own configuration: a free loopback port, filesystem storage, no authentication. Docker
    treats 127.0.0.0/8 registries as insecure (plain HTTP) without any setting.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalRegistry:
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.root / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.address}\n"
        )
        log = (self.root / "registry.log").open("w")
        self.process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://{self.address}/v2/", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the registry did not start: {(self.root / 'registry.log').read_text()[-500:]}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)

    def push(self, image: str, name: str) -> str:
        """Push local ``image`` as ``name``; return its reference by digest, ``ADDRESS/name@sha256:...``."""
        tag = f"{self.address}/{name}:pushed"
        docker("tag", image, tag)
        docker("push", tag, timeout=600)
        digests = docker("image", "inspect", "--format", "{{json .RepoDigests}}", tag).stdout
        reference = next(d for d in json.loads(digests) if d.startswith(f"{self.address}/{name}@"))
        docker("rmi", tag)  # what the runner has locally is then only what it pulls
        return str(reference)
