"""The token broker's life around the steps, without Docker's engine: the main step starting it
(through a small Docker API, tests/docker_api.py), the post step stopping it, and finding it.

The container tier (tests/test_container_broker.py) does the same with the real engine.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from github_app_token import post, runner
from github_app_token.broker import protocol
from github_app_token.broker.stop import ask, discover, ensure_gone, stop
from tests.broker_world import ServeBroker
from tests.docker_api import FakeContainer, FakeDocker
from tests.github_emulator import GitHubEmulator

JOB = {"GITHUB_RUN_ID": "7", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_JOB": "build"}


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDocker]:
    """The Docker API the steps reach (``DOCKER_HOST``), with no container yet."""
    fake = FakeDocker(tmp_path)
    with fake:
        monkeypatch.setenv("DOCKER_HOST", fake.host)
        yield fake


def broker_container(engine: FakeDocker, served: dict[str, Any], **labels: str) -> FakeContainer:
    """The container of a broker served in a thread: it is removed when the broker ends, as
    ``auto_remove`` does; its labels are the job's (:data:`JOB`) and its directory, unless given."""
    every = {protocol.LABEL: protocol.BROKER_ROLE, **protocol.job_labels(JOB)}
    every[protocol.DIRECTORY_LABEL] = str(served["dir"])
    every.update({f"{protocol.LABEL}.{key.replace('_', '-')}": value for key, value in labels.items()})
    container = engine.add(labels=every)

    def exit_with_the_broker() -> None:
        served["thread"].join()
        container.remove()

    threading.Thread(target=exit_with_the_broker, daemon=True).start()
    return container


def run_post(env: dict[str, str]) -> list[str]:
    """The post step's lines, as the log shows them without step debug logging."""
    out = io.StringIO()
    assert post.run(env, runner.Log(out)) == 0
    return [line for line in out.getvalue().splitlines() if not line.startswith("::debug::")]


def saved_state(served: dict[str, Any], container: str = "") -> dict[str, str]:
    """The state the main step saves for ``served``'s two owners."""
    tokens = [
        {"token": item["token"], "expires-at": item["expires_at"], "owner": item["owner"]}
        for item in served["config"].tokens
    ]
    return {
        "STATE_broker": json.dumps({"container": container, "directory": str(served["dir"])}),
        "STATE_token": tokens[0]["token"],
        "STATE_expires-at": tokens[0]["expires-at"],
        "STATE_tokens": json.dumps(tokens),
    }


# --- the post step --------------------------------------------------------------------------------------
def test_the_post_step_stops_the_broker_it_saved(served: dict[str, Any], emulator: GitHubEmulator) -> None:
    lines = run_post({**saved_state(served), "INPUT_LIFETIME": "job", "INPUT_GITHUB-API-URL": emulator.url})
    served["thread"].join(30)
    assert lines == ["The token broker revoked 2 token(s) and stopped."], lines
    assert all(issued.revoked for issued in emulator.tokens.values())
    # The post step revoked the saved tokens too: GitHub's 401 for each confirmed the broker's word, quietly.
    deletes = emulator.requests_to("DELETE", "/installation/token")
    assert [e.status for e in deletes] == [204, 204, 401, 401]


def test_the_post_step_revokes_the_saved_tokens_even_when_the_broker_says_it_did(
    served: dict[str, Any], emulator: GitHubEmulator
) -> None:
    """A broker that lost track of the first tokens (or is not the one it should be) leaves none valid."""
    served["broker"].minted = []  # it knows of no token: it revokes none, and says it revoked all it had
    lines = run_post({**saved_state(served), "INPUT_LIFETIME": "job", "INPUT_GITHUB-API-URL": emulator.url})
    served["thread"].join(30)
    assert lines[0] == "The token broker revoked 0 token(s) and stopped."
    assert [line.split(" (")[0] for line in lines[1:]] == [
        "Revoked the installation access token for 'octo-org'",
        "Revoked the installation access token for 'octocat'",
    ]
    assert all(issued.revoked for issued in emulator.tokens.values())


def test_the_post_step_says_when_the_broker_is_gone(emulator: GitHubEmulator, tmp_path: Path) -> None:
    state = {"STATE_broker": json.dumps({"container": "", "directory": str(tmp_path / "gone")})}
    (line, *rest) = run_post(state)
    assert line.startswith("::warning::The token broker could not be asked to stop (the broker did not answer")
    assert rest == ["No token was saved by the main step, so there is nothing to revoke."]


def test_without_state_the_post_step_stops_only_this_jobs_brokers(
    serve_broker: ServeBroker, emulator: GitHubEmulator, engine: FakeDocker
) -> None:
    """nektos/act gives a Docker action's post step no state: it finds its job's brokers by their
    containers' labels, and leaves another job's alone, though its socket sits in the same place."""
    ours, theirs = serve_broker("github-app-token-ours"), serve_broker("github-app-token-theirs")
    mine = broker_container(engine, ours)
    other = broker_container(engine, theirs, job="deploy")  # another job of the same run
    place = str(ours["dir"].parent)
    lines = run_post({"INPUT_LIFETIME": "job", "RUNNER_TEMP": place, **JOB})
    ours["thread"].join(30)
    assert lines == [
        "The token broker revoked 2 token(s) and stopped.",
        "No token was saved by the main step, so there is nothing to revoke.",
    ]
    assert mine.removed.is_set() and engine.operations(other) == ["inspect"]  # listed, nothing asked of it
    for item in ours["config"].tokens:
        assert emulator.tokens[item["token"]].revoked
    for item in theirs["config"].tokens:
        assert not emulator.tokens[item["token"]].revoked
    assert ask(str(theirs["dir"]), "GET", "/health") == "ok\n"


@pytest.mark.parametrize(
    ("labels", "job"),
    [
        ({"run_id": "8"}, JOB),  # another run
        ({"run_attempt": "2"}, JOB),  # the run's next attempt
        ({}, {**JOB, "GITHUB_JOB": ""}),  # a post step that cannot tell its job
        ({}, {**JOB, "GITHUB_RUN_ID": ""}),
        ({"directory": "/elsewhere/github-app-token-x"}, JOB),  # not where this job's brokers live
        ({"role": "other"}, JOB),
    ],
)
def test_discovery_needs_the_jobs_labels_and_place(
    served: dict[str, Any], engine: FakeDocker, labels: dict[str, str], job: dict[str, str]
) -> None:
    if "role" in labels:
        container = broker_container(engine, served)
        container.labels[protocol.LABEL] = labels["role"]
    else:
        container = broker_container(engine, served, **labels)
    assert discover(job, [str(served["dir"].parent)]) == []
    assert discover(JOB, [str(served["dir"].parent)]) == ([] if labels else [(str(served["dir"]), container.id)])


def test_discovery_needs_a_socket_and_docker(
    engine: FakeDocker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "github-app-token-x"
    directory.mkdir()  # no socket in it: no broker serves there
    engine.add(
        labels={
            protocol.LABEL: protocol.BROKER_ROLE,
            **protocol.job_labels(JOB),
            protocol.DIRECTORY_LABEL: str(directory),
        }
    )
    assert discover(JOB, [str(tmp_path)]) == []
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    assert discover(JOB, [str(tmp_path)]) == []
    engine.refuse[("GET", "list")] = (500, "the engine is unwell")
    monkeypatch.setenv("DOCKER_HOST", engine.host)
    assert discover(JOB, [str(tmp_path)]) == []


# --- making sure the broker's container is gone ---------------------------------------------------------
def labelled(engine: FakeDocker, **fields: Any) -> FakeContainer:
    return engine.add(labels={protocol.LABEL: protocol.BROKER_ROLE}, **fields)


def test_a_broker_that_does_not_answer_is_sent_sigterm_first(engine: FakeDocker, tmp_path: Path) -> None:
    """docker stop: SIGTERM, on which the broker revokes its tokens and exits; SIGKILL only after 10 s."""
    revoked: list[str] = []
    container = labelled(engine, on_stop=lambda c: revoked.append("revoked on SIGTERM"))
    stopped = stop(str(tmp_path / "no-socket-here"), container.id)
    assert stopped.revoked is None and stopped.gone is True and "did not answer" in stopped.problem
    assert container.signals == ["SIGTERM, SIGKILL after 10 s"] and revoked == ["revoked on SIGTERM"]
    assert engine.operations(container) == ["inspect", "stop", "remove"]  # no wait: it did not answer


def test_a_broker_still_there_after_answering_is_stopped_with_sigterm(engine: FakeDocker) -> None:
    container = labelled(engine)  # it never removes itself: the engine's wait never answers
    assert ensure_gone(container.id, wait=0.2) is True  # the post step's 15 s, compressed
    assert container.signals == ["SIGTERM, SIGKILL after 10 s"]
    assert engine.operations(container) == ["inspect", "wait", "inspect", "stop", "remove"]


def test_a_broker_that_removes_itself_is_only_waited_for(engine: FakeDocker) -> None:
    container = labelled(engine)
    results: list[bool] = []
    waiting = threading.Thread(target=lambda: results.append(ensure_gone(container.id)))
    waiting.start()
    container.remove()  # it exits (auto_remove) while, or before, the post step waits
    waiting.join(30)
    assert results == [True] and container.signals == []
    assert "stop" not in engine.operations(container) and "kill" not in engine.operations(container)


def test_a_removal_in_progress_is_gone_and_other_containers_are_never_touched(
    engine: FakeDocker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lagging = labelled(engine, removal_lags=True)
    assert ensure_gone(lagging.id, wait=0) is True  # 409: the engine is removing it
    stranger = engine.add(labels={"com.example": "x"})
    assert ensure_gone(stranger.id, wait=0) is False and engine.operations(stranger) == ["inspect"]
    assert ensure_gone("0" * 64, wait=0) is True  # no such container: gone
    engine.refuse[("GET", "inspect")] = (500, "the engine is unwell")
    assert ensure_gone(lagging.id, wait=0) is False
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    assert ensure_gone(lagging.id) is False
