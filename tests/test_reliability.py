"""Faults the action must survive (or give up on, clearly and in bounded time).

Each fault is injected with the emulator; every run goes through ``run_job``, so the
secrecy checks run over every captured output here too.
"""

from __future__ import annotations

import email.utils
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import jwt
import pytest
import trustme

from github_app_token.errors import NetworkError
from github_app_token.github_api import GitHubAPI
from github_app_token.inputs import InstallationTarget
from github_app_token.retry import BUDGET
from tests.conftest import JobRun
from tests.github_emulator import MSG_EXP_FAR, App, Fault, GitHubEmulator, default_world
from tests.load import planned_waits
from tests.model_clock import ModelClock
from tests.runner_harness import Job, assert_no_leaks, jwts_seen

CREATE = "/app/installations/{installation_id}/access_tokens"
LOOKUP = "/repos/{owner}/{repo}/installation"
RunJob = Callable[..., JobRun]


def retry_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "retrying in" in line]


def ok(run: JobRun) -> None:
    assert run.main.exit_code == 0, run.main.log
    assert run.main.errors == []
    assert run.main.outputs["token"].startswith("ghs_")


# --- retries -------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_are_retried(run_job: RunJob, emulator: GitHubEmulator, status: int) -> None:
    emulator.inject(Fault(method="POST", status=status, body={"message": "Oops"}, times=2))
    run = run_job(post=False)
    ok(run)
    assert [e.status for e in emulator.exchanges if e.method == "POST"] == [status, status, 201]
    lines = retry_lines(run.main.stdout)
    assert len(lines) == 2
    assert f"(HTTP {status})" in lines[0] and "attempt 2 of 4" in lines[0] and "attempt 3 of 4" in lines[1]


def test_connection_resets_are_retried(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(action="reset", method="GET", times=2))
    run = run_job(post=False)
    ok(run)
    assert len([e for e in emulator.exchanges if e.method == "GET"]) == 3
    assert len(retry_lines(run.main.stdout)) == 2


def throttle_waits(log: str) -> list[float]:
    """The waits of the "GitHub is throttling requests ..." lines, in seconds."""
    return [float(m) for m in re.findall(r"GitHub is throttling requests .*?; trying again in ([0-9.]+) s", log)]


def test_secondary_rate_limit_with_retry_after(run_job: RunJob, emulator: GitHubEmulator) -> None:
    message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    emulator.inject(Fault(method="POST", status=403, headers={"Retry-After": "2"}, body={"message": message}))
    run = run_job(post=False)
    ok(run)
    posts = [e for e in emulator.exchanges if e.method == "POST"]
    assert len(posts) == 2
    (wait,) = throttle_waits(run.main.stdout)
    assert 2.0 <= wait <= 3.0  # as asked, plus jitter
    assert run.main.seconds >= 2
    assert retry_lines(run.main.stdout) == []  # no attempt of the four was used up


def test_rate_limit_reset_header(run_job: RunJob, emulator: GitHubEmulator) -> None:
    reset = str(int(time.time()) + 2)
    emulator.inject(
        Fault(
            method="GET",
            status=403,
            times=1,
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
            body={"message": "API rate limit exceeded for installation."},
        )
    )
    run = run_job(post=False)
    ok(run)
    (wait,) = throttle_waits(run.main.stdout)
    throttled, retried = [e for e in emulator.exchanges if e.method == "GET"][:2]
    assert throttled.status == 403 and retried.status == 200
    # Timed by the machine's one clock, not by how fast the step started: the retry comes after the
    # reset, and the wait is no longer than from the 403 to the reset plus the jitter (at most 1 s).
    assert retried.at >= int(reset) - 0.01
    assert wait <= int(reset) - throttled.at + 1.05  # printed to 0.1 s


def test_plain_403_fails_at_once(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(
        Fault(method="POST", status=403, times=5, body={"message": "Resource not accessible by integration"})
    )
    run = run_job(post=False)
    assert run.main.exit_code == 1
    assert len([e for e in emulator.exchanges if e.method == "POST"]) == 1
    assert run.main.errors == [run.main.errors[0]] and "Resource not accessible by integration" in run.main.errors[0]
    assert retry_lines(run.main.stdout) == []


def test_404_is_asked_once(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job(repository="stranger-org/secret", post=False)
    assert run.main.exit_code == 1
    assert len(emulator.requests_to("GET", LOOKUP)) == 1


def test_persistent_503_gives_up_after_four_attempts(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(method="GET", status=503, times=100, body={"message": "Service Unavailable"}))
    run = run_job(post=False)
    assert run.main.exit_code == 1
    assert len(emulator.exchanges) == 4
    assert "HTTP 503: Service Unavailable" in run.main.errors[0]
    assert len(retry_lines(run.main.stdout)) == 3
    assert sum(planned_waits(run.main.stdout)) < BUDGET


def test_retry_after_beyond_the_cap_gives_up_at_once(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(
        Fault(
            method="GET",
            status=429,
            times=5,
            headers={"Retry-After": "3600"},
            body={"message": "API rate limit exceeded"},
        )
    )
    run = run_job(post=False)
    assert run.main.exit_code == 1
    assert len(emulator.exchanges) == 1
    assert "HTTP 429: API rate limit exceeded" in run.main.errors[0]
    assert planned_waits(run.main.stdout) == []  # given up at once, no wait started


# --- timeouts ------------------------------------------------------------------------------
def test_one_hung_request_times_out_and_is_retried(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(action="hang", method="GET", delay=12))
    run = run_job(post=False)
    ok(run)
    assert "(timed out)" in retry_lines(run.main.stdout)[0]
    assert run.main.seconds >= 10  # the read timeout, waited in full (a lower bound: no scheduling makes it shorter)


def test_a_server_that_always_hangs_fails_inside_the_bound(emulator: GitHubEmulator, app: App) -> None:
    from github_app_token.app_jwt import AppAuth

    emulator.inject(Fault(action="hang", delay=5, times=100))
    lines: list[str] = []
    clock = ModelClock()
    api = GitHubAPI(emulator.url, log=lines.append, timeout=(1, 0.5), budget=3, clock=clock)
    with pytest.raises(NetworkError, match=r"no answer within 0\.5 seconds"):
        api.get_installation(InstallationTarget("octo-org", "app"), AppAuth(app.client_id, app.private_key))
    assert 1 <= len(lines) <= 3 and len(clock.slept) <= len(lines)
    assert sum(clock.slept) < 3  # every wait between attempts ended inside the budget


def test_connection_refused_is_a_clear_error(run_job: RunJob) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = run_job(api_url=f"http://127.0.0.1:{port}", post=False)
    assert run.main.exit_code == 1
    assert "Could not reach GitHub at http://127.0.0.1" in run.main.errors[0]
    assert "refused" in run.main.errors[0]
    assert len(retry_lines(run.main.stdout)) == 3


# --- clock skew -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("offset", "refused_first"),
    # 5 minutes ahead still fits the JWT's window (iat 60 s back, exp 9 min ahead): no refusal.
    [(300, False), (-300, True), (3600, True), (-3600, True)],
)
def test_clock_skew_is_corrected_from_the_date_header(
    run_job: RunJob, emulator: GitHubEmulator, offset: int, refused_first: bool
) -> None:
    emulator.clock_offset = offset
    run = run_job()
    ok(run)
    assert run.post is not None and "Revoked" in run.post.stdout
    statuses = [e.status for e in emulator.exchanges]
    assert statuses == ([401] if refused_first else []) + [200, 201, 204]
    if refused_first:  # both accepted JWTs were signed on GitHub's clock, learnt from Date
        for token in jwts_seen(emulator.exchanges)[1:]:
            claims = jwt.decode(token, options={"verify_signature": False})
            assert abs(claims["iat"] + 60 - emulator.now()) < 30


def test_clock_change_before_the_post_request_is_corrected(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(action="clock", method="POST", clock_offset=-1800))
    run = run_job(post=False)
    ok(run)
    posts = [e for e in emulator.exchanges if e.method == "POST"]
    assert [e.status for e in posts] == [401, 201]


def test_clock_correction_is_tried_once(run_job: RunJob, emulator: GitHubEmulator) -> None:
    date = email.utils.formatdate(time.time(), usegmt=True)
    emulator.inject(
        Fault(
            method="GET",
            status=401,
            times=5,
            headers={"Date": date},
            body={"message": MSG_EXP_FAR, "documentation_url": "https://docs.github.com/rest"},
        )
    )
    run = run_job(post=False)
    assert run.main.exit_code == 1
    assert len(emulator.exchanges) == 2
    assert "HTTP 401" in run.main.errors[0] and "is too far in the future" in run.main.errors[0]


# --- post step -----------------------------------------------------------------------------------
def test_revoke_is_retried(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(method="DELETE", status=503, times=2))
    run = run_job()
    ok(run)
    assert run.post is not None and "Revoked the installation access token." in run.post.stdout
    assert emulator.tokens[run.main.outputs["token"]].revoked
    assert len([e for e in emulator.exchanges if e.method == "DELETE"]) == 3


def test_unreachable_revoke_is_a_readable_warning(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(action="reset", method="DELETE", times=10))
    run = run_job()
    ok(run)
    assert run.post is not None and run.post.exit_code == 0
    assert len(run.post.warnings) == 1
    assert "Could not revoke the installation access token (Could not reach GitHub" in run.post.warnings[0]
    assert "reset" in run.post.warnings[0]


def test_token_close_to_expiry_is_left_alone(run_job: RunJob, emulator: GitHubEmulator) -> None:
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30))
    run = run_job(state={"token": "ghs_" + "x" * 36, "expires-at": soon})
    assert run.post is not None and "nothing to revoke" in run.post.stdout
    assert emulator.requests_to("DELETE", "/installation/token") == []


# --- proxy ----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- TLS ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_emulator(ca: trustme.CA, app_key: object) -> Iterator[GitHubEmulator]:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with GitHubEmulator(prefix="/api/v3", ssl_context=context) as emu:
        default_world(emu, app_key)  # type: ignore[arg-type]
        yield emu


class Proxy(NamedTuple):
    """A real forward proxy (proxy.py) on loopback: its URL, and its access log (a line per request,
    ``CONNECT HOST:PORT`` for a tunnel, written when the connection closes)."""

    url: str
    log: Path

    def tunnels_to(self, url: str) -> int:
        """How many tunnels to ``url``'s host and port the log shows so far."""
        target = urllib.parse.urlsplit(url).netloc
        return self.log.read_text().count(f" - CONNECT {target} - ") if self.log.exists() else 0


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    port = free_port()
    log = tmp_path_factory.mktemp("proxy") / "access.log"
    command = [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", str(port)]
    command += ["--num-workers", "1", "--num-acceptors", "1", "--log-level", "INFO", "--log-file", str(log)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("proxy.py did not start")
        yield Proxy(f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
def test_requests_go_through_the_proxy(
    tmp_path: Path, tls_emulator: GitHubEmulator, app_key_pem: str, ca: trustme.CA, proxy: Proxy, variable: str
) -> None:
    before = proxy.tunnels_to(tls_emulator.url)
    inputs = {"ca-bundle": ca.cert_pem.bytes().decode()}
    code, log, _ = run_tls(tmp_path, tls_emulator, app_key_pem, inputs, env={variable: proxy.url})
    assert code == 0, log
    assert all(t.revoked for t in tls_emulator.tokens.values())
    # Each step's connection is logged once it closes (after the step): wait for the event, bounded.
    deadline = time.monotonic() + 30
    while proxy.tunnels_to(tls_emulator.url) < before + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proxy.tunnels_to(tls_emulator.url) >= before + 2  # the main step's tunnel and the post step's


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
def test_no_proxy_bypasses_the_proxy(
    tmp_path: Path, tls_emulator: GitHubEmulator, app_key_pem: str, ca: trustme.CA, variable: str
) -> None:
    """The proxy is a port where nothing listens: only a bypass can succeed."""
    env = {"HTTPS_PROXY": f"http://127.0.0.1:{free_port()}", variable: "127.0.0.1,localhost"}
    inputs = {"ca-bundle": ca.cert_pem.bytes().decode()}
    code, log, _ = run_tls(tmp_path, tls_emulator, app_key_pem, inputs, env=env)
    assert code == 0, log


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_plain_http_to_loopback_never_goes_through_a_proxy(
    run_job: RunJob, emulator: GitHubEmulator, variable: str
) -> None:
    """A proxy would connect to its own machine's loopback, not this one's, and carry the app JWT
    there in clear text. The proxy is a port where nothing listens: only going direct succeeds."""
    run = run_job(env={variable: f"http://127.0.0.1:{free_port()}"})
    ok(run)


def test_unreachable_proxy_is_a_clear_error(tmp_path: Path, tls_emulator: GitHubEmulator, app_key_pem: str) -> None:
    env = {"HTTPS_PROXY": f"http://127.0.0.1:{free_port()}"}
    code, log, _ = run_tls(tmp_path, tls_emulator, app_key_pem, {}, env=env)
    assert code == 1 and "proxy refused or failed the connection" in log
    assert tls_emulator.tokens == {}


def run_tls(
    tmp_path: Path, emu: GitHubEmulator, key_pem: str, inputs: dict[str, str], env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    job = Job(tmp_path, emu.url)
    given = {"app-id": "4242", "private-key": key_pem, **inputs}
    main = job.run("main", given, env=env)
    post = job.run("post", given, state=main.state, env=env)
    assert_no_leaks([main, post], tokens=list(emu.tokens), jwts=jwts_seen(emu.exchanges), private_key_pem=key_pem)
    return main.exit_code, main.log, post.log


def test_private_ca_without_bundle_is_a_clear_error(
    tmp_path: Path, tls_emulator: GitHubEmulator, app_key_pem: str
) -> None:
    code, log, _ = run_tls(tmp_path, tls_emulator, app_key_pem, {})
    assert code == 1
    assert "TLS certificate could not be verified" in log and "'ca-bundle'" in log
    assert tls_emulator.tokens == {}


@pytest.mark.parametrize("how", ["input-path", "input-pem", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_private_ca_with_bundle(
    tmp_path: Path, tls_emulator: GitHubEmulator, app_key_pem: str, ca: trustme.CA, how: str
) -> None:
    pem = ca.cert_pem.bytes().decode()
    bundle = tmp_path / "job" / "workspace" / "certs" / "ca.pem"
    bundle.parent.mkdir(parents=True)
    bundle.write_text(pem)
    inputs, env = {}, {}
    if how == "input-path":
        inputs = {"ca-bundle": "certs/ca.pem"}
    elif how == "input-pem":
        inputs = {"ca-bundle": pem}
    else:
        env = {how: str(bundle)}
    code, log, post_log = run_tls(tmp_path / "job", tls_emulator, app_key_pem, inputs, env)
    assert code == 0, log
    assert "Revoked the installation access token." in post_log
    assert all(t.revoked for t in tls_emulator.tokens.values())


def test_missing_bundle_file_is_an_input_error(tmp_path: Path, tls_emulator: GitHubEmulator, app_key_pem: str) -> None:
    code, log, _ = run_tls(tmp_path, tls_emulator, app_key_pem, {"ca-bundle": "nope/ca.pem"})
    assert code == 1 and "'ca-bundle' names 'nope/ca.pem', which is not a file" in log
