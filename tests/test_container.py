"""The container tier: build the real Dockerfile and run main and post as the runner does.

Opt-in: runs when ``CI=true`` (as in ``.ci/run``) or ``CONTAINER_TESTS=1``. It starts a
Docker engine when none is running (and stops it afterwards), makes a local stand-in
for the base image (``tests/container/make-base-image.sh``; no registry is reachable),
and builds the Dockerfile with ``--build-arg BASE_IMAGE=<stand-in>``. Where the real base
image can be pulled, ``CONTAINER_BASE_IMAGE`` names it instead (the GitHub CI job does).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import assert_exchanges_conform
from tests.github_emulator import GitHubEmulator
from tests.runner_harness import ACTION, ROOT, Job, assert_no_leaks, jwts_seen

pytestmark = pytest.mark.container
RECIPE = ROOT / "tests" / "container" / "make-base-image.sh"
IMAGE = "github-app-token:test"


def _enabled() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("CONTAINER_TESTS") == "1"


def _docker(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


def _engine_up() -> bool:
    try:
        return _docker("info", timeout=20, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if not _enabled():
        pytest.skip("container tier is opt-in: set CONTAINER_TESTS=1 (CI=true turns it on)")
    if shutil.which("docker") is None:
        pytest.skip("no docker client on PATH (install Debian's docker.io)")
    started = None
    if not _engine_up():
        if shutil.which("dockerd") is None or os.geteuid() != 0:
            pytest.skip("no Docker engine is running, and dockerd cannot be started here (needs root)")
        log = tmp_path_factory.mktemp("dockerd") / "dockerd.log"
        for driver in ("overlay2", "vfs"):
            with log.open("w") as handle:
                started = subprocess.Popen(
                    ["dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none", f"--storage-driver={driver}"],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and started.poll() is None and not _engine_up():
                time.sleep(0.5)
            if _engine_up():
                break
            started.terminate()
            started.wait(20)
            started = None
        else:
            pytest.skip(f"a Docker engine could not be started here: {log.read_text()[-500:]}")
    yield
    if started is not None:
        started.terminate()
        started.wait(30)


@pytest.fixture(scope="session")
def base_image(docker_engine: None) -> str:
    """The stand-in base image, or ``CONTAINER_BASE_IMAGE`` (e.g. the real one, where a registry is reachable)."""
    given = os.environ.get("CONTAINER_BASE_IMAGE", "")
    if given:
        if _docker("image", "inspect", given, check=False).returncode != 0:
            _docker("pull", given, timeout=900)
        return given
    tag = "github-app-token-base:standin-" + hashlib.sha256(RECIPE.read_bytes()).hexdigest()[:12]
    made = subprocess.run([str(RECIPE), tag], capture_output=True, text=True, timeout=1200, check=False)
    assert made.returncode == 0, f"stand-in base image failed:\n{made.stdout[-2000:]}\n{made.stderr[-2000:]}"
    return tag


@pytest.fixture(scope="session")
def action_image(base_image: str) -> str:
    built = subprocess.run(
        ["docker", "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base_image}", "-t", IMAGE, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    assert built.returncode == 0, f"docker build failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    return IMAGE


def inspect(image: str, fmt: str) -> str:
    return _docker("image", "inspect", "--format", fmt, image).stdout.strip()


def in_image(image: str, script: str) -> str:
    return _docker("run", "--rm", "--entrypoint", "/bin/sh", image, "-c", script).stdout


def test_main_and_post_in_the_container(
    action_image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path
) -> None:
    job = Job(tmp_path, emulator.url, image=action_image)
    inputs = {"app-id": "4242", "private-key": app_key_pem, "repositories": "app,infra", "permission-contents": "read"}
    main = job.run("main", inputs)
    assert main.exit_code == 0, main.log
    token = main.outputs["token"]
    assert main.commands("add-mask") == [token]
    assert set(main.outputs) == set(ACTION["outputs"])
    assert main.state["token"] == token
    assert emulator.tokens[token].repositories == ["app", "infra"]
    post = job.run("post", inputs, state=main.state)
    assert post.exit_code == 0 and "Revoked the installation access token." in post.stdout
    assert emulator.tokens[token].revoked
    assert [e.method for e in emulator.exchanges] == ["GET", "POST", "DELETE"]
    assert_no_leaks([main, post], tokens=[token], jwts=jwts_seen(emulator.exchanges), private_key_pem=app_key_pem)
    assert_exchanges_conform(emulator)
    # The container wrote nothing into the workspace.
    assert list((tmp_path / "workspace").iterdir()) == []


def test_errors_and_skip_in_the_container(
    action_image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path
) -> None:
    job = Job(tmp_path, emulator.url, image=action_image)
    bad = job.run("main", {"app-id": "4242", "private-key": "ssh-rsa AAAAB3NzaC1yc2E user@host"})
    assert bad.exit_code == 1 and len(bad.errors) == 1 and "holds a public key" in bad.errors[0]
    assert "Traceback" not in bad.log
    inputs = {"app-id": "4242", "private-key": app_key_pem, "skip-token-revoke": "true"}
    main = job.run("main", inputs)
    assert main.exit_code == 0 and main.state == {}
    post = job.run("post", inputs, state=main.state)
    assert "'skip-token-revoke' is true" in post.stdout
    assert not emulator.tokens[main.outputs["token"]].revoked


def test_image_is_as_the_runner_needs(action_image: str) -> None:
    assert inspect(action_image, "{{.Config.User}}") == ""  # root: the runner needs it
    entrypoint = inspect(action_image, "{{json .Config.Entrypoint}}")
    assert entrypoint == '["/usr/local/bin/python3","-I","/action/entrypoint.py"]'
    post = ACTION["runs"]["post-entrypoint"]
    listing = in_image(
        action_image,
        f"test -x {post} && readlink {post}; ls /action; "
        "ls /root/.cache/pip 2>&1; command -v gcc cc || echo no-compiler",
    )
    assert "entrypoint.py" in listing.splitlines()[0]
    assert "tests" not in listing and "requirements.txt" in listing
    assert "No such file or directory" in listing and "no-compiler" in listing


def test_bytecode_is_compiled_in_the_image(action_image: str) -> None:
    missing = in_image(
        action_image,
        r"""
        /usr/local/bin/python3 - <<'PY'
import importlib.util, pathlib, sys
sys.path.insert(0, "/action/src")
for name in ("github_app_token.main", "github_app_token.post", "jwt", "requests", "cryptography"):
    spec = importlib.util.find_spec(name)
    source = pathlib.Path(spec.origin)
    cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
    if not cached.exists():
        print("missing", cached)
PY""",
    )
    assert missing == ""


def test_image_has_no_tests_docs_or_vcs(action_image: str) -> None:
    found = in_image(action_image, "find / -xdev \\( -name .git -o -name tests -o -name docs \\) -path '/action*'")
    assert found == ""
