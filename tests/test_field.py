"""What a real job does that the lab did not: files left in HOME, the runner's legacy command
syntax, CR in file commands, ``runs.args``, and very large tokens.

Every run goes through ``run_job``, which checks secrecy and, with the runner's own parsing
rules, that the runner would act on no workflow command the action did not mean.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from github_app_token import runner
from tests.conftest import JobRun
from tests.github_emulator import Fault, GitHubEmulator
from tests.runner_harness import parse_file_commands, read_file_command
from tests.runner_rules import workflow_commands

RunJob = Callable[..., JobRun]
NETRC = "machine 127.0.0.1 login ghes-user password not-our-credential\n"


def authorizations(emulator: GitHubEmulator) -> list[str]:
    return [e.headers.get("Authorization", "") for e in emulator.exchanges]


# --- ambient credentials ---------------------------------------------------------------------
@pytest.mark.parametrize("where", ["HOME/.netrc", "NETRC"])
def test_a_netrc_never_replaces_our_credentials(
    run_job: RunJob, emulator: GitHubEmulator, tmp_path: Path, where: str
) -> None:
    """Another step left a .netrc for the GitHub host: main still signs with the JWT, post still revokes."""
    env = {}
    if where == "NETRC":
        path = tmp_path / "netrc"
        env["NETRC"] = str(path)
    else:
        path = tmp_path / "job" / "home" / ".netrc"  # HOME of the job (run_job's Job root is tmp_path/job)
        path.parent.mkdir(parents=True)
    path.write_text(NETRC)
    path.chmod(0o600)
    run = run_job(env=env)
    assert run.main.exit_code == 0, run.main.log
    (token,) = emulator.tokens
    sent = authorizations(emulator)
    assert len(sent) == 3 and not any(value.startswith("Basic") for value in sent)
    assert all(value.count(".") == 2 for value in sent[:2])  # the app JWT, twice
    assert sent[2] == f"Bearer {token}"
    assert run.post is not None and "Revoked the installation access token." in run.post.stdout
    assert emulator.tokens[token].revoked


# --- the runner's legacy command syntax ------------------------------------------------------
HOSTILE_MESSAGE = "Bad credentials ##[add-mask]Bad ##[stop-commands]pwned"


def test_githubs_words_cannot_form_a_legacy_command_in_the_post_step(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(method="DELETE", status=401, body={"message": HOSTILE_MESSAGE}))
    run = run_job()
    assert run.post is not None and run.post.exit_code == 0
    lines = [line for line, _ in workflow_commands(run.post.log) if "stop-commands" in line]
    assert len(lines) == 1 and "already revoked or expired" in lines[0]
    assert [c.name for c in run.post.runner_commands() if c.name != "debug"] == []


def test_githubs_words_cannot_form_a_legacy_command_in_the_main_step(run_job: RunJob, emulator: GitHubEmulator) -> None:
    """An installation record whose account login and app slug carry ``##[...]`` (a proxy, a forged answer)."""
    installation = next(i for i in emulator.installations.values() if i.account.login == "octo-org")
    record = emulator.installation_json(installation)
    record["account"]["login"] = "octo-org ##[stop-commands]pwned"
    record["app_slug"] = "minter ##[add-mask]Created"
    emulator.inject(Fault(method="GET", status=200, body=record))
    run = run_job()
    assert run.main.exit_code == 0, run.main.log
    assert "##\u200b[stop-commands]pwned" in run.main.stdout  # shown, but inert
    assert {c.name for c in run.main.runner_commands() if c.name != "debug"} == {"add-mask"}
    assert run.main.token_masks() == list(emulator.tokens)  # and the only masks are the token and the JWTs


# --- file commands: CR is data ---------------------------------------------------------------
@pytest.mark.parametrize("value", ["a\r\nb", "ends with CR\r", "\r", "CR\rinside", "\r\n", "x\n\r\ny"])
def test_outputs_and_state_keep_cr_and_crlf(tmp_path: Path, value: str) -> None:
    """Values written by the action read back by the runner's rules (LF ends a line; CR is data)."""
    output, state = tmp_path / "output", tmp_path / "state"
    output.write_text("")
    state.write_text("")
    env = {"GITHUB_OUTPUT": str(output), "GITHUB_STATE": str(state)}
    runner.set_outputs(env, {"value": value, "after": "x"})
    runner.save_state(env, {"value": value})
    assert parse_file_commands(read_file_command(output)) == {"value": value, "after": "x"}
    assert parse_file_commands(read_file_command(state)) == {"value": value}


# --- runs.args reach every stage -------------------------------------------------------------
@pytest.mark.parametrize("args", [["post"], ["--help"], ["-c", "import sys; sys.exit(3)"], ["main", "post", "x y"]])
def test_stray_arguments_change_nothing(run_job: RunJob, emulator: GitHubEmulator, args: list[str]) -> None:
    run = run_job(args=args)
    assert run.main.exit_code == 0, run.main.log
    (token,) = emulator.tokens
    assert run.main.outputs["token"] == token and run.main.state["token"] == token
    assert run.post is not None and "Revoked the installation access token." in run.post.stdout
    assert [e.method for e in emulator.exchanges] == ["GET", "POST", "DELETE"]


# --- the largest token: 500 repositories with 100-character names ------------------------------
def test_step_summary_and_log_stay_small_for_the_largest_token(run_job: RunJob, emulator: GitHubEmulator) -> None:
    account = emulator.add_account("big-org")
    names = [f"r{index:03d}-" + string.ascii_lowercase[index % 26] * 95 for index in range(500)]
    for name in names:
        emulator.add_repository(account, name)
    emulator.install(emulator.apps[0], account, None, {"contents": "read", "metadata": "read"})
    run = run_job({"owner": "big-org", "repositories": ",".join(names)})
    assert run.main.exit_code == 0, run.main.log
    summary = run.main.summary.encode()
    assert len(summary) <= 8 * 1024, len(summary)  # the runner drops a summary over 1 MiB
    assert "and 480 more (500 in all)" in run.main.summary
    assert max(len(line) for line in run.main.stdout.splitlines()) <= 4 * 1024
    assert len(json.loads(run.main.outputs["repositories"])) == 500  # the output keeps them all
