"""The token broker's life around the steps, without Docker's engine: the main step starting it
(through a small Docker API, tests/docker_api.py), the post step stopping it, and finding it.

The container tier (tests/test_container_broker.py) does the same with the real engine.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from github_app_token.broker import protocol
from tests.github_emulator import GitHubEmulator


def test_the_post_step_stops_the_broker_it_saved(served: dict[str, Any], emulator: GitHubEmulator) -> None:
    from github_app_token import post, runner

    out = io.StringIO()
    state = {"STATE_broker": json.dumps({"container": "", "directory": str(served["dir"])})}
    state["STATE_token"] = served["config"].tokens[0]["token"]
    state["STATE_expires-at"] = served["config"].tokens[0]["expires_at"]
    assert post.run({**state, "INPUT_LIFETIME": "job"}, runner.Log(out)) == 0
    served["thread"].join(30)
    lines = out.getvalue().splitlines()
    assert lines == ["The token broker revoked 2 token(s) and stopped."], lines  # the post step had nothing left
    assert all(issued.revoked for issued in emulator.tokens.values())


def test_the_post_step_finds_a_broker_without_state(served: dict[str, Any], emulator: GitHubEmulator) -> None:
    """nektos/act gives a Docker action's post step no state: the job's brokers are found where they live."""
    from github_app_token import post, runner

    out = io.StringIO()
    env = {"INPUT_LIFETIME": "job", "RUNNER_TEMP": str(served["dir"].parent)}
    assert post.run(env, runner.Log(out)) == 0
    served["thread"].join(30)
    assert out.getvalue().splitlines() == [
        "The token broker revoked 2 token(s) and stopped.",
        "No token was saved by the main step, so there is nothing to revoke.",
    ]
    assert all(issued.revoked for issued in emulator.tokens.values())


def test_the_post_step_says_when_the_broker_is_gone(emulator: GitHubEmulator, tmp_path: Path) -> None:
    from github_app_token import post, runner

    out = io.StringIO()
    state = {"STATE_broker": json.dumps({"container": "", "directory": str(tmp_path / "gone")})}
    assert post.run(state, runner.Log(out)) == 0
    (line, *rest) = out.getvalue().splitlines()
    assert line.startswith("::warning::The token broker could not be asked to stop (the broker did not answer")
    assert rest == ["No token was saved by the main step, so there is nothing to revoke."]


def test_discover_finds_only_brokers_directories(tmp_path: Path) -> None:
    from github_app_token.broker.stop import discover

    (tmp_path / "github-app-token-a").mkdir()
    (tmp_path / "github-app-token-a" / protocol.SOCKET).write_text("")
    (tmp_path / "github-app-token-b").mkdir()  # no socket: not a broker's
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / protocol.SOCKET).write_text("")
    assert discover([str(tmp_path), str(tmp_path), str(tmp_path / "missing")]) == [str(tmp_path / "github-app-token-a")]
