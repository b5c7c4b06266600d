"""The setup command's documentation stays true: every error has a Troubleshooting row in docs/setup.md,
the README's Quick start starts with it, and the README's repository_dispatch recipe runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from github_app_token.cli.setup import NOT_IN_IMAGE
from github_app_token.setup import messages
from tests.coverage_env import coverage_env
from tests.github_emulator import App, GitHubEmulator, pem_pkcs1
from tests.github_web import GitHubWeb
from tests.runner_harness import ROOT, secret_forms

SETUP_DOC = (ROOT / "docs" / "setup.md").read_text()
README = (ROOT / "README.md").read_text()
#: Messages that are not errors: progress lines, the local pages, and fixes appended to an error.
NOT_ERRORS = re.compile(r"^(STEP_|PAGE_|WAIT_|FIX_)|^(TOKEN_FROM|CHECKED|EXISTING_APP|REGISTER_OPEN|REGISTER_WAIT|"
                        r"OPEN_YOURSELF|REGISTERED|ALREADY_INSTALLED|INSTALL_OPEN|INSTALL_WAIT|INSTALLED|STORED|"
                        r"PROVED|REVOKED|NOT_REVOKED|SUMMARY_TITLE|WORKFLOW_STEP_INTRO|"
                        r"ACTION_REFERENCE(_NOTE)?)$")  # fmt: skip


def troubleshooting_keys() -> list[str]:
    section = SETUP_DOC[SETUP_DOC.index("\n## Troubleshooting\n") :]
    section = section[: section.index("\n## ", 5)]
    return [key for key in re.findall(r"`([^`]+)`", section) if len(key) >= 12]


@pytest.mark.parametrize("name", [n for n in vars(messages) if n.isupper() and not NOT_ERRORS.search(n)])
def test_troubleshooting_covers_every_setup_error(name: str) -> None:
    template = getattr(messages, name)
    assert any(key in template for key in troubleshooting_keys()), f"{name} has no row in docs/setup.md"


def test_troubleshooting_covers_the_image_stand_in() -> None:
    assert any(key in NOT_IN_IMAGE for key in troubleshooting_keys())


def test_the_quick_start_begins_with_the_one_command() -> None:
    quick = README[README.index("\n## Quick start\n") :]
    first_block = quick[quick.index("```") : quick.index("```", quick.index("```") + 3)]
    assert "github-app-token setup --owner" in first_block
    assert quick.index("github-app-token setup") < quick.index("1. [Register a GitHub App]")
    assert "(docs/setup.md)" in README[README.index("\n## Set up in one command\n") :]


def test_the_documented_step_is_the_one_printed() -> None:
    """docs/setup.md's workflow step is what setup prints for the command at its top."""
    from github_app_token.cli import build_parser
    from github_app_token.setup import options
    from github_app_token.setup.command import workflow_step

    command = SETUP_DOC.split("```sh\npipx run github-app-token ", 1)[1].split("\n", 1)[0]
    opts = options.check(build_parser().parse_args(command.split()))
    block = SETUP_DOC.split("```yaml\nsteps:\n", 1)[1].split("```", 1)[0]
    assert block == "".join(f"  {line}\n" for line in workflow_step(opts).splitlines())


def dispatch_recipe() -> str:
    start = README.index("### Trigger a workflow from outside GitHub")
    return README[start:].split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_repository_dispatch_recipe_runs_against_the_emulator(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    """The README's commands as they are: a token for one repository with contents: write, the
    dispatch (curl), the revocation; nothing but curl's own silence on success."""
    web = GitHubWeb(emulator)
    my_org = emulator.add_account("my-org")
    emulator.add_repository(my_org, "website")
    emulator.add_repository(my_org, "other")
    emulator.install(app, my_org, None, {"contents": "write", "metadata": "read"})
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "HOME": str(tmp_path),
        "GITHUB_API_URL": emulator.url,
        "GITHUB_APP_PRIVATE_KEY": app_key_pem,
        "APP_CLIENT_ID": app.client_id,
        **coverage_env(),
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", dispatch_recipe()], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert web.dispatches == [("my-org", "website", {"event_type": "cms-publish", "client_payload": {"entry": "42"}})]
    (token,) = emulator.tokens.values()
    assert token.repositories == ["website"] and token.permissions == {"contents": "write"} and token.revoked
    for secret in [*secret_forms(token.token), *pem_pkcs1(app.private_key).splitlines()[1:-1]]:
        assert secret not in done.stdout + done.stderr
    assert done.stdout == "revoked\n"
