"""The container tier: build the real Dockerfile and run main and post as the runner does.

Opt-in: runs when ``CI=true`` (as in ``.ci/run``) or ``CONTAINER_TESTS=1``; the engine and the
images come from the fixtures of ``tests/docker_tier.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import assert_exchanges_conform
from tests.docker_tier import docker
from tests.github_emulator import GitHubEmulator
from tests.runner_harness import ACTION, Job, assert_no_leaks, jwts_seen

pytestmark = pytest.mark.container


def inspect(image: str, fmt: str) -> str:
    return docker("image", "inspect", "--format", fmt, image).stdout.strip()


def in_image(image: str, script: str) -> str:
    return docker("run", "--rm", "--entrypoint", "/bin/sh", image, "-c", script).stdout


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
