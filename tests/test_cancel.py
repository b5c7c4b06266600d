"""Cancellation: the runner's SIGINT and SIGTERM while a step mints, and Ctrl-C in the CLI.

The runner signals ``docker run`` (SIGINT, then SIGTERM, then kills it), which forwards each signal
to the action's process. A signal must never leave a token valid that nobody holds: the request in
flight finishes, nothing new starts, every token created is revoked, one line says so, and the step
exits non-zero. Every signal here is sent while the emulator holds a request (a "gate" fault), so
what is in flight when it arrives is known, whatever the machine's speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.coverage_env import coverage_env
from tests.github_emulator import App, Fault, GitHubEmulator
from tests.runner_harness import Job, RunningStep, StepResult, assert_no_leaks, assert_only_our_commands, jwts_seen

CREATE = r"/app/installations/[0-9]+/access_tokens"
SIGNALS = [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]


def start_main(
    emulator: GitHubEmulator, tmp_path: Path, key_pem: str, inputs: dict[str, str] | None = None
) -> RunningStep:
    job = Job(tmp_path / "job", emulator.url)
    given = {"client-id": emulator.apps[0].client_id, "private-key": key_pem, **(inputs or {})}
    return job.start("main", given)


def checked(emulator: GitHubEmulator, result: StepResult, key_pem: str) -> None:
    tokens, jwts = list(emulator.tokens), jwts_seen(emulator.exchanges)
    assert_no_leaks([result], tokens=tokens, jwts=jwts, private_key_pem=key_pem)
    assert_only_our_commands([result], tokens, jwts=jwts)


def assert_cancelled(result: StepResult, name: str, *fragments: str) -> None:
    assert result.exit_code == 1, result.log
    assert "Traceback" not in result.log and "KeyboardInterrupt" not in result.log
    (error,) = result.errors
    assert error.startswith(f"The step was cancelled ({name}) before it finished."), error
    for fragment in fragments:
        assert fragment in error, error
    assert result.outputs == {} and result.state == {}  # nothing handed over


@pytest.mark.parametrize("number", SIGNALS)
def test_a_signal_during_the_token_request_revokes_the_token(
    emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path, number: int
) -> None:
    gate = emulator.inject(Fault(action="gate", method="POST", path=CREATE))
    step = start_main(emulator, tmp_path, app_key_pem)
    assert gate.arrived.wait(60), "the token request never came"
    step.signal(number)
    gate.release.set()  # the request in flight finishes: GitHub creates the token
    result = step.finish()
    name = signal.Signals(number).name
    assert_cancelled(result, name, "The 1 token(s) created were revoked")
    (issued,) = emulator.tokens.values()
    assert issued.revoked
    assert [e.method for e in emulator.exchanges] == ["GET", "POST", "DELETE"]
    checked(emulator, result, app_key_pem)


def test_a_signal_during_the_lookup_starts_no_token_request(
    emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path
) -> None:
    gate = emulator.inject(Fault(action="gate", method="GET"))
    step = start_main(emulator, tmp_path, app_key_pem)
    assert gate.arrived.wait(60)
    step.signal(signal.SIGTERM)
    gate.release.set()
    result = step.finish()
    assert_cancelled(result, "SIGTERM", "No token had been created.")
    assert [e.method for e in emulator.exchanges] == ["GET"] and not emulator.tokens
    checked(emulator, result, app_key_pem)


def test_a_signal_while_waiting_out_throttling_ends_the_wait(
    emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path
) -> None:
    # GitHub asks for 25 s; the signal comes during that wait (or just before it starts: the same).
    emulator.inject(Fault(method="POST", status=403, headers={"Retry-After": "25"}, body={"message": "slow down"}))
    step = start_main(emulator, tmp_path, app_key_pem)
    assert emulator.wait_for(lambda: any(e.method == "POST" and e.status == 403 for e in emulator.exchanges))
    step.signal(signal.SIGINT)
    result = step.finish()
    assert_cancelled(result, "SIGINT", "No token had been created.")
    assert [e.status for e in emulator.exchanges] == [200, 403] and not emulator.tokens
    assert "trying again in" in result.stdout  # it was waiting, and stopped waiting
    checked(emulator, result, app_key_pem)


def test_several_owners_signalled_while_minting_revoke_every_token(
    emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path
) -> None:
    # Hold the first token request; the other owner's may finish, or not start: either way, every
    # token GitHub creates must be revoked, and the step says how many.
    gate = emulator.inject(Fault(action="gate", method="POST", path=CREATE))
    step = start_main(emulator, tmp_path, app_key_pem, {"owner": "octo-org, octocat"})
    assert gate.arrived.wait(60)
    step.signal(signal.SIGINT)
    gate.release.set()
    result = step.finish()
    created = len(emulator.tokens)
    assert created >= 1
    assert_cancelled(result, "SIGINT", f"The {created} token(s) created were revoked")
    assert all(issued.revoked for issued in emulator.tokens.values())
    checked(emulator, result, app_key_pem)


# --- the CLI ---------------------------------------------------------------------------------
def cli_process(emulator: GitHubEmulator, app: App, key_file: Path, *extra: str, **kw: object) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "github_app_token.cli", "create", "--client-id", app.client_id]
    argv += ["--private-key-file", str(key_file), "--api-url", emulator.url, *extra]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    env.update(coverage_env())
    return subprocess.Popen(argv, env=env, text=True, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload, no-any-return]


def test_ctrl_c_in_the_cli_revokes_the_token(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text(app_key_pem)
    gate = emulator.inject(Fault(action="gate", method="POST", path=CREATE))
    process = cli_process(emulator, app, key_file, "--owner", "octocat", stdout=subprocess.PIPE)
    assert gate.arrived.wait(60)
    process.send_signal(signal.SIGINT)
    gate.release.set()
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stdout == ""
    assert stderr.startswith("error: The step was cancelled (SIGINT)") and "Traceback" not in stderr, stderr
    assert stderr.count("\n") == 1
    (issued,) = emulator.tokens.values()
    assert issued.revoked and issued.token not in stderr


def test_a_closed_pipe_while_printing_tokens_revokes_them(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text(app_key_pem)
    read_end, write_end = os.pipe()
    os.close(read_end)  # whoever was to read the tokens is gone
    try:
        process = cli_process(emulator, app, key_file, "--owner", "octocat", "--owner", "octo-org", stdout=write_end)
    finally:
        os.close(write_end)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    assert "could not be written" in stderr and "revoked" in stderr, stderr
    assert len(emulator.tokens) == 2 and all(issued.revoked for issued in emulator.tokens.values())
