"""``lifetime: job`` under a real runner implementation, nektos/act, in compressed time.

What act does differently from the runner (read in its source, pkg/runner): it mounts the Docker
socket into every container (unless ``--container-daemon-socket -``), gives each container its own
``/tmp`` as ``RUNNER_TEMP`` (nothing shared there), mounts one volume per job at ``/var/run/act`` in
every container of the job, runs Docker actions in the job container's network namespace, and gives
a Docker action's post step no saved state. So under act the broker lives in that volume, and our
post step finds it there. The job container's image is the stand-in base with git and curl added
(apt, once), as ubuntu-latest has them.

The workflow: mint with ``lifetime: job`` (the emulator's tokens live 20 s), clone with plain git,
work longer than the token lives, push, call the API with ``$GITHUB_APP_TOKEN_COMMAND``; act's log
must show every token only as ``***``, the push must have used a token minted after the first had
expired, and when the job ends no token is valid and no broker runs.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.docker_tier import brokers_of, docker
from tests.git_server import basic_password, serve_git
from tests.github_emulator import GitHubEmulator
from tests.test_act import assert_no_secret_in, repository, run_act

pytestmark = [pytest.mark.container, pytest.mark.usefixtures("no_broker_left")]


WORKFLOW = """\
name: long
on: push
permissions:
  contents: read
jobs:
  long:
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
          repositories: app
          permission-contents: write
          lifetime: job
      - name: Clone with plain git
        run: git clone "$EMULATOR_URL/octo-org/app.git" app
      - name: Work for longer than a token lives (20 s in this compressed hour)
        run: python3 -c "import time; time.sleep(25)"
      - name: Push after the first token expired
        run: |
          cd app
          date > built.txt
          git add built.txt
          git -c user.name=bot -c user.email=bot@example.com commit -qm "Build"
          git push origin HEAD:main
      - name: Call the API with a fresh token
        run: |
          GH_TOKEN="$("$GITHUB_APP_TOKEN_COMMAND")"
          echo "the fresh token is $GH_TOKEN"
          curl --silent --fail -H "Authorization: token $GH_TOKEN" "$EMULATOR_URL/installation/repositories" \\
            > repositories.json
          python3 -c "import json; names = json.load(open('repositories.json'))['repositories']; \\
            print('api:', [r['full_name'] for r in names])"
"""


@pytest.fixture(scope="session")
def job_image(base_image: str) -> str:
    """The stand-in base with git and curl (as ubuntu-latest has them), built once per base."""
    tag = "github-app-token-act-job:" + hashlib.sha256(base_image.encode()).hexdigest()[:12]
    if docker("image", "inspect", tag, check=False).returncode == 0:
        return tag
    recipe = (
        f"FROM {base_image}\n"
        "RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends git curl >/dev/null "
        "&& rm -rf /var/lib/apt/lists/*\n"
    )
    built = subprocess.run(
        ["docker", "build", "--network", "host", "-t", tag, "-"],
        input=recipe,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "DOCKER_BUILDKIT": "0"},
    )
    if built.returncode != 0:
        pytest.skip(f"the job image (stand-in + git) could not be built here: {built.stderr[-300:]}")
    return tag


def test_a_long_job_under_act_pushes_after_the_first_token_expired(
    action_image: str, job_image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path, run_id: str
) -> None:
    emulator.token_lifetime = 20
    git = serve_git(emulator, tmp_path / "git")
    before = git.refs("octo-org", "app")["refs/heads/main"]
    repo = repository(tmp_path, action_image, WORKFLOW)
    run = run_act(repo, job_image, emulator, app_key_pem, docker_socket=True, extra_env={"GITHUB_RUN_ID": run_id})
    (tmp_path / "act.log").write_text(run.log)
    assert run.exit_code == 0, run.log
    assert "Job succeeded" in run.log
    assert "Started the token broker" in run.log
    # Two tokens: the first, and the one the broker minted after it expired, for the push.
    assert len(emulator.tokens) == 2, run.log
    first, second = sorted(emulator.tokens.values(), key=lambda issued: issued.expires_at)
    pushed_with = {
        basic_password(e.headers.get("Authorization", ""))
        for e in git.exchanges()
        if e.path.endswith("git-receive-pack")
    }
    assert pushed_with == {second.token}, "the push used the token minted after the first expired"
    assert git.refs("octo-org", "app")["refs/heads/main"] != before
    assert "the fresh token is ***" in run.log and "api: ['octo-org/app']" in run.log
    # act gives our post step no state: it found the broker in act's volume, which revoked both.
    assert "The token broker revoked 1 token(s) and stopped." in run.log  # the first had expired
    assert first.revoked or first.expires_at <= emulator.now()
    assert second.revoked
    assert brokers_of(run_id) == []
    assert_no_secret_in(run.log, emulator, app_key_pem)
