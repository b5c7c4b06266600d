"""The token broker's life around the steps, without Docker's engine: the main step starting it
(through a small Docker API, tests/docker_api.py), the post step stopping it, and finding it.

The container tier (tests/test_container_broker.py) does the same with the real engine.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from github_app_token import post, runner
from github_app_token.broker import launch, protocol, server
from github_app_token.broker.stop import ask, discover, ensure_gone, stop
from github_app_token.core import Minted, MintRequest, mint, request_for
from github_app_token.github_api import GitHubAPI
from github_app_token.inputs import parse_main_inputs
from tests.broker_world import ServeBroker
from tests.docker_api import FakeContainer, FakeDocker
from tests.github_emulator import App, GitHubEmulator
from tests.runner_harness import key_fragments

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


def test_a_container_gone_while_brokers_are_listed_hides_no_other(served: dict[str, Any], engine: FakeDocker) -> None:
    vanishing = engine.add(labels={protocol.LABEL: protocol.BROKER_ROLE, **protocol.job_labels(JOB)})
    vanishing.on_inspect = FakeContainer.remove  # it ends between the listing and its inspection
    ours = broker_container(engine, served)
    assert discover(JOB, [str(served["dir"].parent)]) == [(str(served["dir"]), ours.id)]


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


# --- the main step starting it ------------------------------------------------------------------------
class World(NamedTuple):
    """What the main step has when it starts the broker: its own container (in ``engine``), its mount
    table, its environment, the first tokens and what they were minted with."""

    own: FakeContainer
    mountinfo: str
    env: dict[str, str]
    request: MintRequest
    minted: list[Minted]
    api: GitHubAPI
    runner_temp: Path


LAYER = "/var/lib/docker/overlay2/9fb2/diff"


@pytest.fixture
def runner_temp() -> Iterator[Path]:
    """The job's temp directory, at a short path as on a runner (a Unix socket's path has 107 bytes at most)."""
    path = Path(tempfile.mkdtemp(prefix="gat-"))
    yield path / "_temp"
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def world(
    engine: FakeDocker, emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path, runner_temp: Path
) -> World:
    runner_temp.mkdir()
    own = engine.add(
        image="sha256:" + "cd" * 32,
        mounts=[{"Type": "bind", "Source": str(runner_temp), "Destination": str(runner_temp), "RW": True}],
        graph_data={"LowerDir": "/var/lib/docker/overlay2/l/A", "UpperDir": LAYER},
        network_mode="github_network_1234",
    )
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        f"115 64 0:49 / / rw,relatime - overlay overlay rw,lowerdir=/l/A,upperdir={LAYER},workdir=/w\n"
        "116 115 254:1 /var/lib/docker/containers/JOB/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n"
    )
    env = {"RUNNER_TEMP": str(runner_temp), "GITHUB_REPOSITORY": "octo-org/app", **JOB}
    inputs = {
        "INPUT_CLIENT-ID": app.client_id,
        "INPUT_PRIVATE-KEY": app_key_pem,
        "INPUT_REPOSITORIES": "app",
        "INPUT_OWNER": "octo-org",
    }
    request = request_for(parse_main_inputs({**inputs, "INPUT_GITHUB-API-URL": emulator.url}), "")
    api = GitHubAPI(emulator.url)
    return World(own, str(mountinfo), env, request, mint(request, api), api, runner_temp)


def start(world: World, key: str, **changes: Any) -> launch.Broker:
    env = {**world.env, **changes.pop("env", {})}
    return launch.start(env, world.request, world.minted, world.api, key, 30, mountinfo=world.mountinfo)


def runs_the_broker(lines: list[str]) -> Callable[[FakeContainer], None]:
    """What starting the broker's container does: the broker's process (in a thread) reads its
    standard input and serves; its container is removed when it ends."""

    def on_create(container: FakeContainer) -> None:
        def process(started: FakeContainer) -> None:
            started.stdin_closed.wait(60)
            server.run(io.BytesIO(started.stdin), lines.append)
            started.remove()

        container.on_start = process

    return on_create


def fails_when_looked_at(container: FakeContainer) -> None:
    """Once started, the broker's process runs (and ends) as the main step asks the engine about its
    container: after the main step found no reason written, before it learns the container is gone."""
    if container.status == "running" and not container.removed.is_set():
        container.stdin_closed.wait(60)
        assert server.run(io.BytesIO(container.stdin), lambda line: None) == 1
        container.remove()


def brokers_directories(world: World) -> list[Path]:
    return sorted(world.runner_temp.glob(protocol.DIRECTORY_PREFIX + "*"))


def test_the_main_step_starts_a_sibling_the_post_step_stops(
    world: World, engine: FakeDocker, emulator: GitHubEmulator, app_key_pem: str
) -> None:
    lines: list[str] = []
    engine.on_create = runs_the_broker(lines)
    broker = start(world, app_key_pem)
    (created,) = [c for c in engine.containers.values() if c is not world.own]
    body = created.created
    assert (body["Image"], body["Entrypoint"]) == (world.own.image, ["/action/broker"])
    assert not body.get("Env") and not body.get("Cmd")  # nothing in its environment or arguments
    assert body["Labels"] == {
        protocol.LABEL: protocol.BROKER_ROLE,
        f"{protocol.LABEL}.repository": "octo-org/app",
        **protocol.job_labels(JOB),
        protocol.DIRECTORY_LABEL: broker.directory,
    }
    host = body["HostConfig"]
    assert host["NetworkMode"] == "github_network_1234" and host["AutoRemove"] and host["ReadonlyRootfs"]
    assert [(m["Type"], m["Source"], m["Target"]) for m in host["Mounts"]] == [
        ("bind", str(world.runner_temp), str(world.runner_temp))
    ]
    assert body["OpenStdin"] and body["StdinOnce"]
    config = protocol.Config.loads(created.stdin)
    assert (
        (config.container, config.directory) == (created.id, broker.directory) == (broker.container, broker.directory)
    )
    for fragment in key_fragments(app_key_pem):
        assert fragment not in json.dumps(body)  # the key is on its standard input only
    assert Path(broker.directory).parent == world.runner_temp and broker.command == str(
        Path(broker.directory) / protocol.TOKEN_COMMAND
    )
    assert ask(broker.directory, "GET", "/token").strip() == world.minted[0].token.token
    assert stop(broker.directory, broker.container) == (1, 0, True, "")
    assert all(issued.revoked for issued in emulator.tokens.values())
    assert lines[-1] == "Stopping (the post step asked): revoked 1 token(s)."


def test_the_own_container_is_found_by_its_root_layer_else_by_its_host_name(
    world: World, engine: FakeDocker, tmp_path: Path
) -> None:
    import docker

    client = docker.DockerClient(base_url=engine.host)
    engine.add(graph_data={"UpperDir": "/var/lib/docker/overlay2/other/diff"})  # the job container, say
    assert launch.find_own(client, world.mountinfo).id == world.own.id
    table = tmp_path / "vfs"
    table.write_text(
        "20 1 254:1 / / rw - ext4 /dev/vda1 rw\n"
        f"21 20 254:1 /var/lib/docker/containers/{world.own.id}/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n"
    )
    assert launch.find_own(client, str(table)).id == world.own.id
    table.write_text("20 1 254:1 / / rw - ext4 /dev/vda1 rw\n")
    with pytest.raises(docker.errors.NotFound):
        launch.find_own(client, str(table))


@pytest.mark.parametrize(
    ("situation", "reason"),
    [
        ("no engine", "this step's own container could not be found through the Docker socket (Error while fetching"),
        (
            "not a container",
            "this step's own container could not be found through the Docker socket (no container of this engine",
        ),
        ("no shared directory", "this runner shares no directory with Docker actions' containers"),
        ("no directory", "the broker's directory could not be made in "),
        ("create refused", "Docker refused to start the broker's container (500 Server Error"),
        ("start refused", "Docker refused to start the broker's container (500 Server Error"),
        ("exits at once", "the broker's container stopped before it was ready"),
        ("refuses its key", "could not start: "),
    ],
)
def test_where_the_broker_cannot_start_the_step_says_why_and_leaves_nothing(
    world: World,
    engine: FakeDocker,
    emulator: GitHubEmulator,
    app_key_pem: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    situation: str,
    reason: str,
) -> None:
    key = app_key_pem
    lines: list[str] = []
    engine.on_create = runs_the_broker(lines)
    if situation == "no engine":
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    elif situation == "not a container":
        Path(world.mountinfo).write_text("20 1 254:1 / / rw - ext4 /dev/vda1 rw\n")
    elif situation == "no shared directory":
        world.own.mounts.clear()
    elif situation == "no directory":
        world.runner_temp.rmdir()
    elif situation in ("create refused", "start refused"):
        engine.refuse[("POST", situation.split()[0])] = (500, "no space left on device")
    elif situation == "exits at once":
        engine.on_create = lambda container: setattr(container, "on_start", FakeContainer.remove)
    else:  # a key the broker cannot read: it writes why and ends, just before the main step looks at it
        key = "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n"
        engine.on_create = lambda container: setattr(container, "on_inspect", fails_when_looked_at)
    with pytest.raises(launch.Unavailable) as refused:
        start(world, key)
    assert str(refused.value).startswith(reason) or (situation == "refuses its key" and reason in str(refused.value))
    assert "Traceback" not in str(refused.value) and "not a key" not in str(refused.value)
    assert engine.live() == [world.own]  # no broker's container left, started or not
    assert not world.runner_temp.exists() or brokers_directories(world) == []
    assert not any(issued.revoked for issued in emulator.tokens.values())  # the first token is the step's


def test_a_broker_that_never_answers_is_killed(
    world: World, engine: FakeDocker, app_key_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(launch, "READY_WITHIN", 0.3)  # the main step's 30 s, compressed
    with pytest.raises(launch.Unavailable, match=r"^the broker did not answer within 0\.3 s$"):
        start(world, app_key_pem)  # its container starts, and nothing in it answers
    (created,) = [c for c in engine.containers.values() if c is not world.own]
    assert created.signals == ["SIGKILL"] and brokers_directories(world) == []


def test_lifetime_fallback_decides_between_one_warning_and_one_error(
    world: World, engine: FakeDocker, app_key_pem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from github_app_token.errors import ActionError

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    warnings: list[str] = []
    args = (world.env, world.request, world.minted, world.api, app_key_pem, 30)
    assert launch.begin(*args, "hour", warnings.append) is None
    (warning,) = warnings
    assert warning.startswith("'lifetime: job' cannot work here: this step's own container could not be found")
    with pytest.raises(ActionError, match="'lifetime-fallback: fail' asks to fail"):
        launch.begin(*args, "fail", warnings.append)
    # Before any request: an app JWT, no container, no Docker socket.
    assert not launch.possible(world.env, "eyJ.an.app-jwt", "hour", warnings.append)
    assert "an app JWT signed elsewhere" in warnings[-1]
    table = tmp_path / "host"
    table.write_text("20 1 254:1 / / rw - ext4 /dev/vda1 rw\n")
    with pytest.raises(launch.Unavailable, match="does not run in a Docker container"):
        launch.check_possible(world.env, "", str(table))
    monkeypatch.setattr(launch, "DOCKER_SOCKET", str(tmp_path / "no-docker.sock"))
    monkeypatch.delenv("DOCKER_HOST")
    with pytest.raises(launch.Unavailable, match="the runner gave this step no Docker socket"):
        launch.check_possible(world.env, "", world.mountinfo)
    launch.check_possible({**world.env, "DOCKER_HOST": engine.host}, "", world.mountinfo)  # a remote engine will do
