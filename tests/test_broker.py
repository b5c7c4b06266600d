"""The token broker of ``lifetime: job``, run here without Docker: its refresh rule on a model clock,
its socket (mode, owner, protocol), every way it ends (revoking first), and the token script later
steps run, with real ``git`` against the emulator's git side and with ``curl`` or ``python3``.

The container tier (tests/test_container_broker.py) runs the same broker the way the runner makes it
run: started from the action's container through the Docker socket.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from github_app_token.broker import protocol, scripts, server
from github_app_token.broker.stop import ask
from github_app_token.github_api import GitHubAPI
from tests.broker_world import (
    Clock,
    ServeBroker,
    answer_of,
    config_for,
    read_to_end,
    wait_until_ready,
)
from tests.coverage_env import coverage_env
from tests.git_server import clean_git_env, serve_git
from tests.github_emulator import App, GitHubEmulator
from tests.runner_harness import ENTRYPOINT, key_fragments, secret_forms


# --- the refresh rule, on a model clock -------------------------------------------------------------
def test_the_current_token_while_a_sixth_of_its_life_is_left_then_a_new_one(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    config = config_for(emulator, app, app_key_pem, tmp_path)
    clock = Clock()
    lines: list[str] = []
    broker = server.Broker(config, GitHubAPI(emulator.url), lines.append, clock)
    first = config.tokens[0]["token"]
    assert broker.token("") == first and broker.token("OCTO-ORG") == first  # no request: still fresh
    assert not emulator.exchanges
    clock.now += 3600 * 5 / 6 - 30  # 10 minutes and 30 s left: still handed out
    assert broker.token("octo-org") == first and not emulator.exchanges
    clock.now += 60  # 9 minutes 30 s left: a new one, with exactly the first token's scope
    second = broker.token("octo-org")
    assert second != first and second in emulator.tokens
    (create,) = emulator.requests_to("POST", "/app/installations/{installation_id}/access_tokens")
    assert create.body == {"repositories": ["app"], "permissions": {"contents": "write", "metadata": "read"}}
    assert [e.method for e in emulator.exchanges] == ["POST"]  # the installation is known: no lookup
    assert broker.token("octo-org") == second  # the new one is fresh
    (line,) = lines
    assert line.startswith("Minted a new token for octo-org; it expires at ") and second not in line
    revoked, left = broker.revoke_all()
    assert (revoked, left) == (2, 0) and all(t.revoked for t in emulator.tokens.values())


def test_a_refused_credential_is_fatal_and_a_busy_github_is_not(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    from github_app_token.errors import ActionError
    from tests.github_emulator import Fault

    config = config_for(emulator, app, app_key_pem, tmp_path)
    clock = Clock()
    broker = server.Broker(config, GitHubAPI(emulator.url, budget=0.5), lambda line: None, clock)
    clock.now += 3600
    emulator.inject(Fault(method="POST", status=503, times=10, body={"message": "Service Unavailable"}))
    with pytest.raises(ActionError) as busy:
        broker.token("")
    assert not isinstance(busy.value, server.Fatal)
    emulator.faults.clear()
    app.has_keys = False  # every key deleted from the app's settings
    with pytest.raises(server.Fatal, match="Integration must generate a public key"):
        broker.token("")


def test_an_owner_outside_the_scopes_gets_nothing(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    broker = server.Broker(config_for(emulator, app, app_key_pem, tmp_path), GitHubAPI(emulator.url), print)
    with pytest.raises(KeyError):
        broker.token("stranger-org")


# --- the socket, served in a thread --------------------------------------------------------------------
def test_the_socket_is_the_directory_owners_alone(served: dict[str, Any]) -> None:
    socket_path = served["dir"] / protocol.SOCKET
    status = socket_path.stat()
    assert oct(status.st_mode & 0o777) == oct(0o600) and status.st_uid == os.getuid()
    assert ask(str(served["dir"]), "GET", "/health") == "ok\n"


def test_tokens_by_owner_over_the_socket(served: dict[str, Any], emulator: GitHubEmulator) -> None:
    config = served["config"]
    first, second = (item["token"] for item in config.tokens)
    assert ask(str(served["dir"]), "GET", "/token").strip() == first
    assert ask(str(served["dir"]), "GET", "/token?owner=octocat").strip() == second
    with pytest.raises(ValueError, match="this broker holds no token for the owner 'stranger-org'"):
        ask(str(served["dir"]), "GET", "/token?owner=stranger-org")


def test_stop_revokes_every_token_and_ends(served: dict[str, Any], emulator: GitHubEmulator) -> None:
    served["clock"].now += 3100  # 8 minutes left: both first tokens are replaced, and still valid
    ask(str(served["dir"]), "GET", "/token")
    ask(str(served["dir"]), "GET", "/token?owner=octocat")
    assert len(emulator.tokens) == 4
    answer = json.loads(ask(str(served["dir"]), "POST", "/stop"))
    served["thread"].join(30)
    live = [t for t in emulator.tokens.values() if t.expires_at > emulator.now()]
    assert answer == {"revoked": len(live), "left_valid": 0, "container": ""} and all(t.revoked for t in live)
    assert not (served["dir"] / protocol.SOCKET).exists()
    assert served["lines"][-1].startswith("Stopping (the post step asked): revoked")


def test_no_token_is_minted_after_the_final_revocation(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    """A request that comes after the revocation (between it and the socket's closing) gets no new token."""
    clock = Clock()
    broker = server.Broker(config_for(emulator, app, app_key_pem, tmp_path), GitHubAPI(emulator.url), print, clock)
    assert broker.revoke_all() == (1, 0)
    clock.now += 3600  # the first token would be replaced now
    with pytest.raises(server.Closed, match="has stopped and revoked"):
        broker.token("")
    assert emulator.requests_to("POST", "/app/installations/{installation_id}/access_tokens") == []


def test_after_the_revocation_the_socket_answers_503(served: dict[str, Any], emulator: GitHubEmulator) -> None:
    served["broker"].revoke_all()  # as stop() does, before the server is shut down
    served["clock"].now += 3600
    answer = answer_of(served["dir"], b"GET /token HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 503 ") and b"has stopped and revoked the job's tokens" in answer
    assert all(issued.revoked for issued in emulator.tokens.values()) and len(emulator.tokens) == 2


def test_a_silent_client_holds_up_nobody_and_is_cut_off(serve_broker: ServeBroker) -> None:
    served = serve_broker(connection_timeout=0.2)  # the broker's 10 s, compressed
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.settimeout(60)  # a bound on a broker that never cuts it off, not a timing assertion
        silent.connect(str(served["dir"] / protocol.SOCKET))  # connects, and sends nothing
        assert ask(str(served["dir"]), "GET", "/token").strip() == served["config"].tokens[0]["token"]
        assert read_to_end(silent) == b""  # the broker closed it, unanswered
    assert server.CONNECTION_TIMEOUT == 10


def test_a_connection_over_the_cap_is_refused_and_a_freed_place_serves_again(serve_broker: ServeBroker) -> None:
    served = serve_broker(max_connections=2)
    path = str(served["dir"] / protocol.SOCKET)
    held = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(2)]
    try:
        for client in held:  # two requests begun, not finished: both places taken
            client.settimeout(60)
            client.connect(path)
            client.sendall(b"GET /health HTTP/1.0\r\n")
        # The broker accepts in order: by the time it takes the third, the first two hold their places.
        refused = answer_of(served["dir"])
        assert refused.startswith(b"HTTP/1.0 503 ") and b"too many connections" in refused
        held[0].sendall(b"\r\n")  # the first request ends: answered, and its place freed before it closes
        assert read_to_end(held[0]).endswith(b"\r\n\r\nok\n")
        assert ask(str(served["dir"]), "GET", "/token").strip() == served["config"].tokens[0]["token"]
    finally:
        for client in held:
            client.close()
    assert server.MAX_CONNECTIONS == 16


def test_a_removed_directory_stops_it_after_revoking(served: dict[str, Any], emulator: GitHubEmulator) -> None:
    shutil.rmtree(served["dir"])  # what the runner does to the temp directory when the job ends
    served["thread"].join(30)
    assert not served["thread"].is_alive()
    assert all(t.revoked for t in emulator.tokens.values())
    assert "its directory is gone" in served["lines"][-1]


def test_the_deadline_stops_it_after_revoking(served: dict[str, Any], emulator: GitHubEmulator) -> None:
    served["clock"].now = served["config"].deadline  # the model clock reaches the deadline
    served["thread"].join(30)
    assert not served["thread"].is_alive()
    assert all(t.revoked for t in emulator.tokens.values())
    assert "its deadline has passed" in served["lines"][-1]


def test_a_refused_credential_stops_it_after_revoking(
    served: dict[str, Any], emulator: GitHubEmulator, app: App
) -> None:
    served["clock"].now += 3000  # 10 minutes left: a new token is asked for, the first ones still valid
    app.has_keys = False
    with pytest.raises(ValueError, match="Integration must generate a public key"):
        ask(str(served["dir"]), "GET", "/token")
    served["thread"].join(30)
    assert not served["thread"].is_alive() and all(t.revoked for t in emulator.tokens.values())


# --- the broker's process: configuration on standard input, nothing secret on its output ------------------
def broker_process(tmp_path: Path) -> list[str]:
    link = tmp_path / "action" / "broker"
    link.parent.mkdir(exist_ok=True)
    if not link.exists():
        link.symlink_to(ENTRYPOINT)
    return [sys.executable, "-I", str(link)]


def test_the_process_reads_stdin_and_ends_with_its_directory(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    directory = tmp_path / "shared" / "github-app-token-x"
    directory.mkdir(parents=True, mode=0o700)
    config = config_for(emulator, app, app_key_pem, directory)
    process = subprocess.Popen(
        broker_process(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=coverage_env(),
    )
    try:
        assert process.stdin is not None
        process.stdin.write(config.dumps())
        process.stdin.close()
        process.stdin = None  # handed over: communicate() below only reads
        wait_until_ready(directory)
        assert ask(str(directory), "GET", "/token").strip() == config.tokens[0]["token"]
        environ = Path(f"/proc/{process.pid}/environ").read_bytes()
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert app_key_pem.splitlines()[1].encode() not in environ + cmdline  # the key is in memory only
        shutil.rmtree(directory)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # a failed assertion above: leave no broker behind
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    output = (stdout + stderr).decode()
    assert "its directory is gone" in output and all(t.revoked for t in emulator.tokens.values())
    for secret in [config.tokens[0]["token"], *key_fragments(app_key_pem)]:
        for form in secret_forms(secret):
            assert form not in output


def test_a_broker_whose_log_is_gone_still_stops_and_revokes(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    """Its output's reader gone (the process that started it ended: EPIPE on each line), the broker
    raised in its stop, before shutting down: it served on for ever. Found as leftover processes."""
    directory = tmp_path / "shared" / "github-app-token-x"
    directory.mkdir(parents=True, mode=0o700)
    config = config_for(emulator, app, app_key_pem, directory)
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        broker_process(tmp_path), stdin=subprocess.PIPE, stdout=write_end, stderr=write_end, env=coverage_env()
    )
    os.close(write_end)
    try:
        assert process.stdin is not None
        process.stdin.write(config.dumps())
        process.stdin.close()
        wait_until_ready(directory)
        os.close(read_end)  # nobody reads its log any more
        assert ask(str(directory), "GET", "/token").strip() == config.tokens[0]["token"]
        shutil.rmtree(directory)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert all(t.revoked for t in emulator.tokens.values())


def test_an_unreadable_configuration_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        broker_process(tmp_path), input=b"not json", capture_output=True, timeout=60, check=False, env=coverage_env()
    )
    assert done.returncode == 2
    assert done.stdout.decode() == "The broker's configuration on standard input is unreadable; nothing to serve.\n"


# --- the token script, as later steps run it ------------------------------------------------------------
def write_script(directory: Path) -> Path:
    path = directory / protocol.TOKEN_COMMAND
    path.write_text(scripts.TOKEN_SCRIPT)
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("client", ["curl", "python3"])
def test_the_token_command_prints_a_token_and_masks_it_first(
    served: dict[str, Any], tmp_path: Path, client: str
) -> None:
    command = write_script(served["dir"])
    path = os.environ["PATH"]
    if client == "python3":  # a job container without curl
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for tool in ("sh", "dirname", "tail", "sed"):
            found = shutil.which(tool)
            assert found, tool
            (bin_dir / tool).symlink_to(found)
        (bin_dir / "python3").symlink_to(sys.executable)
        path = str(bin_dir)
    else:
        assert shutil.which("curl"), "curl is needed for this test"
    first, second = (item["token"] for item in served["config"].tokens)
    done = subprocess.run([str(command)], capture_output=True, text=True, env={"PATH": path}, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == first + "\n" and done.stderr == f"::add-mask::{first}\n"
    other = subprocess.run(
        [str(command), "octocat"], capture_output=True, text=True, env={"PATH": path}, timeout=60, check=False
    )
    assert other.stdout == second + "\n"
    bad = subprocess.run(
        [str(command), "a b"], capture_output=True, text=True, env={"PATH": path}, timeout=60, check=False
    )
    assert bad.returncode == 1 and "is not a GitHub owner name" in bad.stderr


def test_the_token_command_says_when_the_broker_is_gone(tmp_path: Path) -> None:
    command = write_script(tmp_path)
    done = subprocess.run([str(command)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "the token broker is gone" in done.stderr and done.stdout == ""


def test_git_asks_the_token_command_for_credentials(
    served: dict[str, Any], emulator: GitHubEmulator, tmp_path: Path
) -> None:
    """With the environment the main step writes: GIT_CONFIG_* appended to what the job set."""
    from github_app_token.broker.launch import Broker, environment

    command = write_script(served["dir"])
    git = serve_git(emulator, tmp_path / "git")
    base = clean_git_env(tmp_path / "home")
    job_config = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "user.name", "GIT_CONFIG_VALUE_0": "octo"}
    values = environment(Broker("id", str(served["dir"]), str(command)), job_config, git.base_url)
    env = {**base, **values}
    assert env["GIT_CONFIG_COUNT"] == "4" and env["GIT_CONFIG_KEY_0"] == "user.name"  # the job's own kept
    clone = tmp_path / "clone"
    done = subprocess.run(
        ["git", "clone", git.url("octo-org", "app"), str(clone)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    first = served["config"].tokens[0]["token"]
    assert f"::add-mask::{first}" in done.stderr  # git passes the helper's standard error on
    assert first not in done.stdout and done.stderr.count(first) == 1
    other = tmp_path / "other"
    done = subprocess.run(
        ["git", "clone", git.url("octocat", "blog"), str(other)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr  # the owner in the URL picked octocat's token


# --- the main step where no broker can run: one warning, or one error when asked to insist -------------------
def test_without_a_container_lifetime_job_warns_once_and_behaves_as_an_hour(
    run_job: Any, emulator: GitHubEmulator
) -> None:
    run = run_job({"lifetime": "job"})
    assert run.main.exit_code == 0, run.main.log
    (warning,) = run.main.warnings
    assert warning.startswith("'lifetime: job' cannot work here: this step does not run in a Docker container")
    assert "set 'lifetime-fallback: fail' to fail instead" in warning
    assert "token-command" not in run.main.outputs and run.main.env_file == {}
    assert [e.method for e in emulator.exchanges] == ["GET", "POST", "DELETE"]  # exactly as lifetime: hour


def test_lifetime_fallback_fail_fails_before_any_request(run_job: Any, emulator: GitHubEmulator) -> None:
    run = run_job({"lifetime": "job", "lifetime-fallback": "fail"}, post=False)
    assert run.main.exit_code == 1 and emulator.exchanges == []
    (error,) = run.main.errors
    assert error.startswith("'lifetime: job' cannot work here: this step does not run in a Docker container")
    assert "'lifetime-fallback: fail' asks to fail" in error


def test_an_app_jwt_cannot_be_signed_again_for_a_job_long_token(
    run_job: Any, emulator: GitHubEmulator, app_key_pem: str
) -> None:
    import jwt as pyjwt

    from github_app_token.private_key import load_private_key

    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + 300, "iss": emulator.apps[0].client_id}
    given = pyjwt.encode(claims, load_private_key(app_key_pem), "RS256")
    run = run_job({"lifetime": "job", "app-jwt": given, "client-id": "", "private-key": ""})
    assert run.main.exit_code == 0
    assert "an app JWT signed elsewhere ('app-jwt') cannot be signed again" in run.main.warnings[0]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"lifetime": "day"}, "'lifetime' must be one of: hour, job; it is 'day'."),
        ({"lifetime-fallback": "warn"}, "'lifetime-fallback' must be one of: hour, fail; it is 'warn'."),
        ({"lifetime-limit-minutes": "0"}, "'lifetime-limit-minutes' must be a whole number of minutes from 1 to 7200"),
        ({"lifetime-limit-minutes": "6h"}, "'lifetime-limit-minutes' must be a whole number of minutes"),
        ({"lifetime": "job", "skip-token-revoke": "true"}, "'lifetime: job' and 'skip-token-revoke: true' contradict"),
    ],
)
def test_lifetime_inputs_are_checked(
    run_job: Any, emulator: GitHubEmulator, inputs: dict[str, str], message: str
) -> None:
    run = run_job(inputs, post=False)
    assert run.main.exit_code == 1 and emulator.exchanges == []
    assert run.main.errors[0].startswith(message), run.main.errors[0]


def test_the_container_id_comes_from_the_mount_table(tmp_path: Path) -> None:
    from github_app_token.broker.launch import own_container_id

    table = tmp_path / "mountinfo"
    table.write_text(
        "595 570 0:61 / / rw,relatime - overlay overlay rw\n"
        "604 595 254:1 /var/lib/docker/containers/0123abcd/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n"
    )
    assert own_container_id(str(table)) == "0123abcd"
    table.write_text("25 1 254:1 / / rw - ext4 /dev/vda1 rw\n")
    assert own_container_id(str(table)) == ""


# --- the main step's and the post step's sides, without Docker -------------------------------------------
def shared_of_another_user(tmp_path: Path) -> tuple[Path, int]:
    """The job's temp directory, the runner user's (uid 1001) when the tests run as root."""
    shared = tmp_path / "runner_temp"
    shared.mkdir()
    uid = 1001 if os.geteuid() == 0 else os.getuid()
    os.chown(shared, uid, uid if os.geteuid() == 0 else os.getgid())
    return shared, uid


def test_the_directory_is_the_runner_users_only_once_the_script_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from github_app_token.broker import launch

    shared, uid = shared_of_another_user(tmp_path)
    real_chown = os.chown
    seen: list[tuple[str, int, str]] = []

    def chown(path: str, user: int, group: int) -> None:
        script = Path(path) / protocol.TOKEN_COMMAND
        status = script.lstat() if script.exists() else None
        seen.append((path, status.st_uid if status else -1, script.read_text() if status else ""))
        real_chown(path, user, group)

    monkeypatch.setattr(os, "chown", chown)
    directory, owner_uid, _ = launch.make_directory(str(shared))
    assert seen == [(directory, uid, scripts.TOKEN_SCRIPT)]  # given away last, its script complete and handed over
    assert owner_uid == uid and Path(directory).stat().st_uid == uid
    assert oct(Path(directory).stat().st_mode & 0o777) == oct(0o700)
    status = (Path(directory) / protocol.TOKEN_COMMAND).stat()
    assert (status.st_uid, oct(status.st_mode & 0o777)) == (uid, oct(0o755))


def test_the_script_is_never_written_through_a_link_planted_in_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the directory someone else's while it is filled, a link named like the script could
    make root write through it: the script is created anew, never through a link."""
    from github_app_token.broker import launch

    shared, _ = shared_of_another_user(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("root's file\n")
    real_mkdir = os.mkdir

    def mkdir(path: str, mode: int = 0o777) -> None:
        real_mkdir(path, mode)
        (Path(path) / protocol.TOKEN_COMMAND).symlink_to(victim)  # what a racing user would plant

    monkeypatch.setattr(os, "mkdir", mkdir)
    with pytest.raises(FileExistsError):
        launch.make_directory(str(shared))
    assert victim.read_text() == "root's file\n"


def test_the_shared_directory_is_the_runners_temp_mount_or_acts_volume() -> None:
    from github_app_token.broker.launch import Shared, shared_directory

    runner = {"Mounts": [{"Type": "bind", "Source": "/home/runner/work/_temp", "Destination": "/github/runner_temp"}]}
    assert shared_directory(runner, "/github/runner_temp") == Shared(
        "/github/runner_temp", "/home/runner/work/_temp", "/home/runner/work/_temp", "bind"
    )
    act = {"Mounts": [{"Type": "volume", "Name": "act-job-env", "Destination": "/var/run/act"}]}
    assert shared_directory(act, "/tmp") == Shared("/var/run/act", "/var/run/act", "act-job-env", "volume")
    older = {"Mounts": [{"Type": "bind", "Source": "/x/_temp/_github_home", "Destination": "/github/home"}]}
    assert shared_directory(older, "/home/runner/work/_temp") is None  # runners before 2.329


def test_the_root_layer_tells_a_container_from_the_one_whose_network_it_shares(tmp_path: Path) -> None:
    from github_app_token.broker.launch import root_layer

    table = tmp_path / "mountinfo"
    table.write_text(
        "115 64 0:49 / / rw,relatime master:3 - overlay overlay rw,lowerdir=/l/A:/l/B,"
        "upperdir=/var/lib/docker/overlay2/9fb2/diff,workdir=/var/lib/docker/overlay2/9fb2/work\n"
        "116 115 254:1 /var/lib/docker/containers/JOB/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n"
    )
    assert root_layer(str(table)) == "/var/lib/docker/overlay2/9fb2/diff"
    table.write_text("20 1 254:1 /var/lib/docker/vfs/dir/abc / rw - ext4 /dev/vda1 rw\n")
    assert root_layer(str(table)) == "/var/lib/docker/vfs/dir/abc"
    assert root_layer(str(tmp_path / "missing")) == ""


def test_later_steps_environment_carries_the_jobs_git_configuration_then_ours() -> None:
    from github_app_token.broker.launch import Broker, describe, environment

    broker = Broker("0123456789abcdef", "/github/runner_temp/github-app-token-x", "/home/runner/work/_temp/x/token")
    given = {
        "GIT_CONFIG_COUNT": "3",
        "GIT_CONFIG_KEY_0": "user.name",
        "GIT_CONFIG_VALUE_0": "octo",
        "GIT_CONFIG_KEY_2": "core.autocrlf",  # the entry numbered 1 is missing: left out, the rest renumbered
        "GIT_CONFIG_VALUE_2": "input",
        "GIT_CONFIG_KEY_3": "beyond.count",  # not counted: not the job's configuration
    }
    values = environment(broker, given, "https://github.com/")
    assert values == {
        "GITHUB_APP_TOKEN_COMMAND": "/home/runner/work/_temp/x/token",
        "GIT_CONFIG_KEY_0": "user.name",
        "GIT_CONFIG_VALUE_0": "octo",
        "GIT_CONFIG_KEY_1": "core.autocrlf",
        "GIT_CONFIG_VALUE_1": "input",
        "GIT_CONFIG_KEY_2": "credential.https://github.com.helper",
        "GIT_CONFIG_VALUE_2": "",
        "GIT_CONFIG_KEY_3": "credential.https://github.com.helper",
        "GIT_CONFIG_VALUE_3": '!"$GITHUB_APP_TOKEN_COMMAND" git-credential',
        "GIT_CONFIG_KEY_4": "credential.https://github.com.useHttpPath",
        "GIT_CONFIG_VALUE_4": "true",
        "GIT_CONFIG_COUNT": "5",
    }
    for junk in ("junk", "-4", ""):
        assert environment(broker, {"GIT_CONFIG_COUNT": junk}, "https://ghe.example")["GIT_CONFIG_COUNT"] == "3"
    assert "container 0123456789ab" in describe(broker) and "$GITHUB_APP_TOKEN_COMMAND" in describe(broker)


def test_a_git_configuration_set_in_the_steps_own_env_still_works_in_later_steps(tmp_path: Path) -> None:
    """``env: GIT_CONFIG_COUNT: 1 ...`` on this step only: later steps get GITHUB_ENV's values alone,
    and git refuses a count whose entries are missing."""
    from github_app_token.broker.launch import Broker, environment

    step_env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "user.name", "GIT_CONFIG_VALUE_0": "octo"}
    values = environment(Broker("id", str(tmp_path), str(tmp_path / "token")), step_env, "https://github.com")
    later = {**clean_git_env(tmp_path / "home"), **values}
    done = subprocess.run(
        ["git", "config", "--get", "user.name"], capture_output=True, text=True, env=later, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "octo\n", "")
    helpers = subprocess.run(
        ["git", "config", "--get-all", "credential.https://github.com.helper"],
        capture_output=True, text=True, env=later, timeout=60, check=False,
    )  # fmt: skip
    assert helpers.stdout.splitlines() == ["", '!"$GITHUB_APP_TOKEN_COMMAND" git-credential']


def test_the_configuration_carries_the_steps_scope_api_proxy_and_ca(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    from github_app_token.broker.launch import build_config
    from github_app_token.core import mint, request_for
    from github_app_token.inputs import parse_main_inputs

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    env = {
        "INPUT_CLIENT-ID": app.client_id,
        "INPUT_PRIVATE-KEY": app_key_pem,
        "INPUT_OWNER": "octo-org",
        "INPUT_REPOSITORIES": "app",
        "INPUT_PERMISSION-CONTENTS": "read",
        "INPUT_GITHUB-API-URL": emulator.url,
    }
    request = request_for(parse_main_inputs(env), "")
    api = GitHubAPI(emulator.url)
    minted = mint(request, api)
    api.verify = str(ca)
    proxied = {"HTTPS_PROXY": "http://user:pass@proxy.internal:3128", "NO_PROXY": "localhost", "PATH": "/usr/bin"}
    config = build_config(proxied, request, minted, api, app_key_pem, 30, str(tmp_path), 1001, 121)
    assert config.scopes == [
        {
            "owner": "octo-org",
            "repository": "app",
            "enterprise": None,
            "repositories": ["app"],
            "repository_ids": [],
            "permissions": {"contents": "read"},
        }
    ]
    assert config.proxies == {"HTTPS_PROXY": "http://user:pass@proxy.internal:3128", "NO_PROXY": "localhost"}
    assert config.ca_bundle.startswith("-----BEGIN CERTIFICATE-----") and config.api_url == emulator.url
    assert config.installation_ids == {"octo-org": minted[0].installation.id}
    assert 30 * 60 - 5 <= config.deadline - time.time() <= 30 * 60
    assert app_key_pem not in repr(config) and minted[0].token.token not in repr(config)
    again = protocol.Config.loads(config.dumps())
    assert again == config


def test_later_tokens_get_no_more_than_the_first_when_the_installation_gains_more(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    """No permission and no repository asked for: the first token has all the installation's; later
    tokens the same, not what the installation is granted during the job."""
    from github_app_token.broker.launch import build_config
    from github_app_token.core import mint, request_for
    from github_app_token.inputs import parse_main_inputs

    env = {"INPUT_CLIENT-ID": app.client_id, "INPUT_PRIVATE-KEY": app_key_pem, "INPUT_OWNER": "octo-org"}
    request = request_for(parse_main_inputs(env), "")
    (first,) = mint(request, GitHubAPI(emulator.url), in_flight=1)
    assert first.token.repository_selection == "selected" and first.token.repositories == ("app", "infra")
    config = build_config({}, request, [first], GitHubAPI(emulator.url), app_key_pem, 30, str(tmp_path), 0, 0)
    installation = first.installation.id
    emulator.installations[installation].permissions = {
        **emulator.installations[installation].permissions,
        "administration": "write",
    }  # the app's installation is granted more during the job ...
    emulator.installations[installation].repositories = ["app", "infra", "docs"]  # ... and another repository
    clock = Clock()
    broker = server.Broker(config, GitHubAPI(emulator.url), lambda line: None, clock)
    clock.now += 3600
    later = emulator.tokens[broker.token("")]
    assert later.permissions == first.token.permissions == emulator.tokens[first.token.token].permissions
    assert "administration" not in later.permissions and later.repositories == ["app", "infra"]
    broker.revoke_all()
