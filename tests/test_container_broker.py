"""``lifetime: job`` in the container tier: the token broker started as the runner lets a Docker action
start it (the host's Docker socket mounted in, the job's temp directory at /github/runner_temp), in
compressed time (the emulator's tokens live 20 s, so "a job longer than an hour" takes half a minute).

A later step outlives the first token, then pushes with plain ``git`` (the credential helper asks the
broker, which mints a new token), and a later container step calls the API with the print-a-token
command; the post step leaves no token valid and no broker running; removing the temp directory
without the post step stops the broker within seconds, its tokens revoked; another user cannot reach
its socket; ``docker inspect`` of the broker shows no key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from github_app_token.broker import protocol
from tests.docker_tier import brokers_of, docker, remove_brokers_of
from tests.git_server import GitServer, clean_git_env, serve_git
from tests.github_emulator import GitHubEmulator
from tests.runner_harness import (
    Job,
    StepResult,
    assert_no_leaks,
    jwts_seen,
    key_fragments,
    runner_view,
    secret_forms,
)

pytestmark = [pytest.mark.container, pytest.mark.usefixtures("no_broker_left")]


LIFETIME = 20  # seconds: the emulator's compressed hour
RUNNER_UID = 1001  # the user host steps run as on GitHub-hosted runners


@pytest.fixture
def job_root() -> Iterator[Path]:
    """A job's directories where another user can reach what the runner user may (pytest's own are
    root's alone); the temp directory belongs to the runner user, as on a hosted runner."""
    root = Path(tempfile.mkdtemp(prefix="gat-job-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def start_job(job_root: Path, emulator: GitHubEmulator, image: str, git: GitServer, run_id: str) -> Job:
    """A job of run ``run_id`` (the test's own: its brokers are found by it)."""
    extra = {"GITHUB_SERVER_URL": git.base_url, "GITHUB_JOB": "long", "GITHUB_RUN_ID": run_id}
    job = Job(job_root, emulator.url, image=image, extra_env=extra)
    for sub in ("runner_temp", "workspace", "home"):
        (job_root / sub).chmod(0o755)
        os.chown(job_root / sub, RUNNER_UID, RUNNER_UID)
    return job


def inputs(emulator: GitHubEmulator, key_pem: str, **extra: str) -> dict[str, str]:
    return {
        "client-id": emulator.apps[0].client_id,
        "private-key": key_pem,
        "lifetime": "job",
        "repositories": "app",
        "permission-contents": "write",
        **extra,
    }


def broker_of(main: StepResult) -> dict[str, str]:
    saved: dict[str, str] = json.loads(main.state["broker"])
    return saved


def host_step(
    env: dict[str, str], *argv: str, cwd: Path | None = None, uid: int | None = None
) -> subprocess.CompletedProcess[str]:
    """A later ``run:`` step on the runner's host, as the runner user, with the job's GITHUB_ENV."""
    return subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        user=uid if uid is not None else RUNNER_UID,
        group=uid if uid is not None else RUNNER_UID,
    )


def until(condition: Any, seconds: float, what: str) -> None:
    """Wait for ``condition()`` (a bound on something that must happen, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds:g} s")
        time.sleep(0.2)


def broker_running(container: str) -> bool:
    return bool(docker("ps", "-q", "--filter", f"id={container}").stdout.strip())


def test_a_job_longer_than_the_tokens_life_clones_waits_and_pushes(
    action_image: str, emulator: GitHubEmulator, app_key_pem: str, job_root: Path, run_id: str
) -> None:
    emulator.token_lifetime = LIFETIME
    git = serve_git(emulator, job_root / "git")
    job = start_job(job_root, emulator, action_image, git, run_id)
    main = job.run("main", inputs(emulator, app_key_pem))
    assert main.exit_code == 0, main.log
    broker = broker_of(main)
    command = main.env_file[protocol.TOKEN_COMMAND_VARIABLE]
    assert command.startswith(str(job_root / "runner_temp") + "/") and command == main.outputs["token-command"]
    assert main.env_file["GIT_CONFIG_COUNT"] == "3"

    # What a person sees with docker ps, and what docker inspect shows: labels, no key, no token.
    record = json.loads(docker("inspect", broker["container"]).stdout)[0]
    labels = record["Config"]["Labels"]
    assert (
        labels["com.github.github-app-token"] == "token-broker" and labels["com.github.github-app-token.job"] == "long"
    )
    assert labels["com.github.github-app-token.run-id"] == run_id
    shown = json.dumps(record)
    for secret in [*key_fragments(app_key_pem), *emulator.tokens]:
        assert secret not in shown, "docker inspect shows a secret of the broker"
    socket_path = job_root / "runner_temp" / Path(broker["directory"]).name / protocol.SOCKET
    status = socket_path.stat()
    assert (status.st_uid, oct(status.st_mode & 0o777)) == (RUNNER_UID, oct(0o600))

    # A later step (on the host, as the runner user) clones with plain git: the helper answers.
    home = job_root / "home"
    env = {**clean_git_env(home), **main.env_file}
    clone = job_root / "workspace" / "app"
    cloned = host_step(env, "git", "clone", git.url("octo-org", "app"), str(clone))
    assert cloned.returncode == 0, cloned.stderr
    first = main.outputs["token"]
    assert len(emulator.tokens) == 1 and f"::add-mask::{first}" in cloned.stderr

    # The first token expires (compressed time); nothing the broker handed out is valid any more.
    until(lambda: emulator.now() > emulator.tokens[first].expires_at, LIFETIME + 30, "the first token expired")
    assert emulator.token_for(first) is None

    # Then a push: git asks the helper again, the broker mints a new token with the same scope.
    (clone / "built.txt").write_text("built after an hour\n")
    for args in (
        ["add", "built.txt"],
        ["-c", "user.name=bot", "-c", "user.email=bot@example.com", "commit", "-qm", "Build"],
    ):
        done = host_step(env, "git", *args, cwd=clone)
        assert done.returncode == 0, done.stderr
    pushed = host_step(env, "git", "push", "origin", "HEAD:main", cwd=clone)
    assert pushed.returncode == 0, pushed.stderr
    assert len(emulator.tokens) == 2
    second = next(token for token in emulator.tokens if token != first)
    assert emulator.tokens[second].repositories == ["app"] and emulator.tokens[second].permissions == {
        "contents": "write"
    }
    assert (
        git.refs("octo-org", "app")["refs/heads/main"]
        == host_step(env, "git", "rev-parse", "HEAD", cwd=clone).stdout.strip()
    )

    # A later container step (a Docker action or a job container: the runner translates the path).
    inside = "/github/runner_temp/" + Path(command).relative_to(job_root / "runner_temp").as_posix()
    script = (
        'T="$("$GITHUB_APP_TOKEN_COMMAND")" && export T && python3 -c "import os, urllib.request; '
        "r = urllib.request.Request(os.environ['API'] + '/installation/repositories', "
        "headers={'Authorization': 'token ' + os.environ['T']}); print('api:', urllib.request.urlopen(r).status)\""
    )
    container_step = subprocess.run(
        [
            "docker", "run", "--rm", "--network", "host", "-v", f"{job_root / 'runner_temp'}:/github/runner_temp",
            "-e", f"{protocol.TOKEN_COMMAND_VARIABLE}={inside}", "-e", f"API={emulator.url}",
            "--entrypoint", "/bin/sh", base_image_of(action_image), "-c", script,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert container_step.returncode == 0, container_step.stderr
    assert "api: 200" in container_step.stdout and f"::add-mask::{second}" in container_step.stderr

    # Another user of the host cannot reach the socket.
    stranger = host_step(env, "sh", "-c", '"$0"', command, uid=RUNNER_UID + 1)
    assert stranger.returncode != 0 and "Permission denied" in stranger.stderr and second not in stranger.stdout

    # The post step: the broker revokes every token it minted, and is gone.
    post = job.run("post", inputs(emulator, app_key_pem), state=main.state)
    assert post.exit_code == 0 and "The token broker revoked 1 token(s) and stopped." in post.stdout, post.log
    assert all(issued.revoked or issued.expires_at <= emulator.now() for issued in emulator.tokens.values())
    assert emulator.tokens[second].revoked
    assert not broker_running(broker["container"])
    assert brokers_of(run_id) == []

    # The log a person sees: every token only as ***.
    masks: list[str] = []
    log = "\n".join(runner_view(main, masks) + runner_view(post, masks))
    steps = cloned.stderr + pushed.stderr + container_step.stderr
    for token in emulator.tokens:
        for form in secret_forms(token):
            assert form not in log
    assert all(f"::add-mask::{token}" in steps for token in emulator.tokens)
    assert_no_leaks(
        [main, post], tokens=list(emulator.tokens), jwts=jwts_seen(emulator.exchanges), private_key_pem=app_key_pem
    )


def base_image_of(action_image: str) -> str:
    """An image with sh and python3 for a later container step: the stand-in base (the tier built on it)."""
    from tests.docker_tier import stand_in_base

    given = os.environ.get("CONTAINER_BASE_IMAGE", "")
    return given or stand_in_base()


def test_the_job_ending_without_the_post_step_stops_the_broker(
    action_image: str, emulator: GitHubEmulator, app_key_pem: str, job_root: Path, run_id: str
) -> None:
    git = serve_git(emulator, job_root / "git")
    job = start_job(job_root, emulator, action_image, git, run_id)
    main = job.run("main", inputs(emulator, app_key_pem))
    assert main.exit_code == 0, main.log
    broker = broker_of(main)
    assert broker_running(broker["container"])
    # The runner empties the temp directory at the job's end (TempDirectoryManager), post step or not.
    for entry in (job_root / "runner_temp").iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    until(lambda: not broker_running(broker["container"]), 30, "the broker stopped")
    assert all(issued.revoked for issued in emulator.tokens.values())
    post = job.run("post", inputs(emulator, app_key_pem), state=main.state)
    assert post.exit_code == 0 and len(post.warnings) == 1
    assert post.warnings[0].startswith("The token broker could not be asked to stop")


def test_several_owners_share_one_broker(
    action_image: str, emulator: GitHubEmulator, app_key_pem: str, job_root: Path, run_id: str
) -> None:
    git = serve_git(emulator, job_root / "git")
    job = start_job(job_root, emulator, action_image, git, run_id)
    given = inputs(emulator, app_key_pem, owner="octo-org, octocat", repositories="octo-org/app, octocat/blog")
    given["permission-contents"] = "read"  # all octocat's installation grants
    main = job.run("main", given)
    assert main.exit_code == 0, main.log
    env = {**clean_git_env(job_root / "home"), **main.env_file}
    for owner, repo in (("octo-org", "app"), ("octocat", "blog")):
        done = host_step(env, "git", "clone", git.url(owner, repo), str(job_root / "workspace" / repo))
        assert done.returncode == 0, done.stderr
    tokens = json.loads(main.outputs["tokens"])
    mine = host_step(env, main.env_file[protocol.TOKEN_COMMAND_VARIABLE], "octocat")
    assert mine.stdout.strip() == tokens["octocat"]
    post = job.run("post", given, state=main.state)
    assert "The token broker revoked 2 token(s) and stopped." in post.stdout, post.log
    assert all(issued.revoked for issued in emulator.tokens.values())


def test_the_cleanup_removes_this_tests_brokers_and_nobody_elses(action_image: str, run_id: str) -> None:
    """The engine is shared (other tests, other people): a broker of another run is left alone."""
    label = "com.github.github-app-token"

    def broker(run: str) -> str:
        made = docker("create", "--label", f"{label}=token-broker", "--label", f"{label}.run-id={run}", action_image)
        return made.stdout.strip()

    ours, theirs = broker(run_id), broker(run_id + "0")
    try:
        remove_brokers_of(run_id)
        assert docker("inspect", ours, check=False).returncode != 0
        assert docker("inspect", theirs, check=False).returncode == 0
    finally:
        docker("rm", "-f", theirs, check=False)
