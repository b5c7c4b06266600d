"""Least privilege and nothing lost on every mistake: typos, look-alike hosts, lost answers, echoed secrets.

Each scenario runs as the runner runs the action (``run_job``: no secret anywhere, no command we did
not write), and counts the requests: a refused input costs none.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable

import pytest

from github_app_token.github_api import GitHubAPI
from github_app_token.inputs import is_loopback, parse_api_url
from tests.conftest import JobRun
from tests.github_emulator import MSG_EXP_PAST, MSG_IAT, Exchange, Fault, GitHubEmulator, Reply, error_reply

RunJob = Callable[..., JobRun]
CREATE = r"/app/installations/[0-9]+/access_tokens"


def refused(run: JobRun, emulator: GitHubEmulator, *fragments: str) -> str:
    main = run.main
    assert main.exit_code == 1 and len(main.errors) == 1, main.log
    for fragment in fragments:
        assert fragment in main.errors[0], main.errors[0]
    assert main.outputs == {} and emulator.exchanges == [] and not emulator.tokens
    return main.errors[0]


# --- a typo must never widen a token -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("inputs", "meant"),
    [
        ({"permissions-contents": "read"}, "Did you mean permission-contents: read?"),
        ({"permission_contents": "read"}, "Did you mean permission-contents: read?"),
        ({"Permission_Pull_Requests": "write"}, "Did you mean permission-pull-requests: write?"),
        (
            {"permissions": '{"contents": "read", "issues": "write"}'},
            "permission-contents: read; permission-issues: write",
        ),
        ({"permissions": "issues:read,contents:write"}, "permission-issues: read; permission-contents: write"),
        ({"permissions": "all of them"}, "one permission-<name> input per permission"),
        ({"contents-permission": "read"}, "the permission-<name> inputs listed in the README"),
        # Names without "permission" in them: a misspelt prefix, another prefix, the bare name, a level.
        ({"permision-contents": "read"}, "Did you mean permission-contents: read?"),
        ({"perms-contents": "read"}, "Did you mean permission-contents: read?"),
        ({"scope-pull-requests": "write"}, "Did you mean permission-pull-requests: write?"),
        ({"contents": "write"}, "Did you mean permission-contents: write?"),
        ({"pull_requests": "Read"}, "Did you mean permission-pull-requests: Read?"),
        ({"token-scope": "write"}, "the permission-<name> input for it"),
    ],
)
def test_a_misspelt_permission_stops_the_step_before_any_request(
    run_job: RunJob, emulator: GitHubEmulator, inputs: dict[str, str], meant: str
) -> None:
    """Today these succeed with every permission of the installation; they must stop instead."""
    run = run_job(inputs, post=False)
    refused(run, emulator, "is not an input of this action", "every permission of the installation", meant)


@pytest.mark.parametrize(
    ("inputs", "fix"),
    [
        ({"app_id": "4242", "client-id": ""}, "write app-id: <the same value>"),
        ({"private_key": "x"}, "write private-key: <the same value>"),
        ({"installation_retrieval_mode": "organization"}, "owner: NAME (modes organization and user)"),
        ({"revoke": "false"}, "skip-token-revoke: true in place of revoke: false"),
        ({"application_id": "4242"}, "write app-id: <the same value>"),
        ({"organization": "octo-org"}, "write owner: <the same value>"),
        ({"skip_token_revoke": "true"}, "write skip-token-revoke: <the same value>"),
    ],
)
def test_another_token_actions_input_names_what_to_write(
    run_job: RunJob, emulator: GitHubEmulator, inputs: dict[str, str], fix: str
) -> None:
    run = run_job(inputs, post=False)
    refused(run, emulator, f"'{next(iter(inputs))}' is not an input of this action but another token action's", fix)


def test_other_unknown_inputs_get_one_warning(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"ownr": "octocat", "repositorie": "x"}, post=False)
    assert run.main.exit_code == 0, run.main.log
    assert run.main.warnings == [
        "This action has no input 'ownr', 'repositorie', so it was ignored; the inputs are listed in the README."
    ]


@pytest.mark.parametrize("name", ["skip-without-credentials", "bot-identity", "skip-token-revoke"])
@pytest.mark.parametrize("value", ["yes", "no", "1", "on"])
def test_every_boolean_input_is_checked_alike(run_job: RunJob, emulator: GitHubEmulator, name: str, value: str) -> None:
    """``skip-without-credentials: yes`` was silently false; ``bot-identity: yes`` was refused."""
    run = run_job({name: value, "private-key": ""}, post=False)
    refused(run, emulator, f"'{name}' must be true or false (any case), but it is '{value}'.")
    assert f"**How to fix it:** Write '{name}: true' or '{name}: false'" in run.main.summary  # it had no fix


# --- URL checks that mean what they say ---------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://127.attacker.example/api/v3",
        "http://127.0.0.1.nip.io",
        "http://localhost.attacker.example",
        "http://127.0.0.1@evil.example",
        "http://0x7f000001.example",
    ],
)
def test_plain_http_only_for_a_real_loopback_host(run_job: RunJob, emulator: GitHubEmulator, url: str) -> None:
    run = run_job({"github-api-url": url}, post=False)
    refused(run, emulator, "'github-api-url' is not usable")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        *[("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True), ("LOCALHOST", True)],
        *[("127.attacker.example", False), ("127.0.0.1.nip.io", False), ("10.0.0.1", False), ("localhost.a.b", False)],
        ("localhost.", False),  # a fully qualified name: the resolver may ask DNS, which may answer anything
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert parse_api_url({"INPUT_GITHUB-API-URL": "http://127.0.0.2:8080"}) == "http://127.0.0.2:8080"


@pytest.mark.parametrize(
    "next_page",
    [
        "http://127.0.0.1:{port}0/app/installations?page=2",  # a longer port that starts the same
        "http://127.0.0.2:{port}/app/installations?page=2",
        "https://127.0.0.1:{port}/app/installations?page=2",
        "http://user:pw@127.0.0.1:{port}/app/installations?page=2",
        "http://127.0.0.1:{port}/elsewhere/../app/installations?page=2",
    ],
)
def test_the_installations_listing_follows_no_next_page_elsewhere(
    emulator: GitHubEmulator, app_key_pem: str, next_page: str
) -> None:
    """The app JWT goes with each page: a Link header pointing elsewhere is not followed."""
    from github_app_token.app_jwt import AppAuth
    from github_app_token.errors import GitHubAPIError
    from github_app_token.private_key import load_private_key

    link = next_page.format(port=emulator.port)
    emulator.inject(Fault(method="GET", status=200, body=[], headers={"Link": f'<{link}>; rel="next"'}))
    api = GitHubAPI(emulator.url)
    with pytest.raises(GitHubAPIError, match="its next page is on another server"):
        api.list_installations(AppAuth(emulator.apps[0].client_id, load_private_key(app_key_pem)))
    api.close()
    assert len(emulator.exchanges) == 1  # the second page was never asked for, anywhere


def test_a_next_page_on_the_same_api_is_followed(emulator: GitHubEmulator) -> None:
    api = GitHubAPI(emulator.url + "/")
    assert api.path_of(f"{emulator.url}/app/installations?page=2") == "/app/installations?page=2"
    prefixed = GitHubAPI("https://ghe.example/api/v3")
    assert prefixed.path_of("https://ghe.example/api/v3/app/installations?page=2") == "/app/installations?page=2"
    assert prefixed.path_of("https://ghe.example/api/v30/app/installations") is None
    assert prefixed.path_of("https://ghe.example/app/installations") is None


# --- secrets stay secret on every path -------------------------------------------------------------------
def test_an_app_jwt_echoed_by_a_proxy_is_masked(run_job: RunJob, emulator: GitHubEmulator) -> None:
    """A proxy that puts the request's Authorization into its error message: the JWT was masked first."""

    echoed: list[str] = []

    def echo(request: object, exchange: Exchange, **groups: str) -> Reply:
        authorization = exchange.headers.get("Authorization", "")
        echoed.append(authorization.removeprefix("Bearer "))
        raise error_reply(403, f"Proxy denied the request with {authorization}")

    emulator.add_route("GET", r"/repos/[^/]+/[^/]+/installation", "/repos/{owner}/{repo}/installation", echo)
    run = run_job(post=False)
    assert run.main.exit_code == 1
    (jwt_sent,) = echoed
    masks = run.main.commands("add-mask")
    assert masks and masks[0] == jwt_sent  # masked before it was sent, so the echo shows as ***
    assert run.main.stdout.index(f"::add-mask::{jwt_sent}") < run.main.stdout.index("::error::")


# --- a token nobody holds ----------------------------------------------------------------------------------
def test_a_slow_token_answer_is_waited_for_not_sent_again(run_job: RunJob, emulator: GitHubEmulator) -> None:
    """12 s for the answer: beyond the usual 10 s read timeout, which would resend and create a second
    token nobody holds; the token request waits longer instead (30 s)."""
    emulator.inject(Fault(action="delay", method="POST", path=CREATE, delay=12))
    run = run_job()
    assert run.main.exit_code == 0, run.main.log
    assert len(emulator.tokens) == 1 and all(issued.revoked for issued in emulator.tokens.values())
    assert [e.method for e in emulator.exchanges] == ["GET", "POST", "DELETE"]


@pytest.mark.parametrize("lost", [502, 0], ids=["502 after creation", "reset after creation"])
def test_a_resent_token_request_is_in_the_debug_log(run_job: RunJob, emulator: GitHubEmulator, lost: int) -> None:
    """GitHub (or a gateway) created the token, and the answer was lost: the request is sent again,
    as GitHub's bad minutes need; the token of the lost answer is held by nobody, and the debug log
    says that it may exist (docs/reliability.md)."""
    emulator.inject(Fault(action="after", method="POST", path=CREATE, status=lost))
    run = run_job()
    assert run.main.exit_code == 0, run.main.log
    first, second = emulator.tokens.values()
    assert run.main.outputs["token"] == second.token and second.revoked  # handed over, revoked by post
    assert not first.revoked  # the lost one: never received, so never revocable, and documented
    (debug,) = [line for line in run.main.commands("debug") if "was sent again" in line]
    why = "HTTP 502" if lost else "the connection was lost before the answer"
    assert debug.startswith("POST /app/installations/") and f"was sent again after {why}" in debug


def test_a_failed_revoke_after_a_failed_hand_over_is_a_warning(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(method="DELETE", status=503, times=10))
    run = run_job(post=False, env={"GITHUB_OUTPUT": "/nonexistent/dir/out"})
    assert run.main.exit_code == 1
    assert run.main.warnings == [
        "The step failed after the token was created, and revoking it failed too; it expires within the hour."
    ]


# --- GitHub's own words about the app JWT's times ---------------------------------------------------------
@pytest.mark.parametrize("message", [MSG_EXP_PAST, MSG_IAT])
def test_a_jwt_time_refusal_without_skew_is_explained_as_time_not_key(
    run_job: RunJob, emulator: GitHubEmulator, message: str
) -> None:
    """GitHub says the times are wrong, its Date header agrees with the runner's clock: re-signing
    cannot help, and the key is not the problem (it used to be explained as a key of another app)."""
    date = email.utils.formatdate(time.time(), usegmt=True)
    body = {"message": message, "documentation_url": "https://docs.github.com/rest", "status": "401"}
    emulator.inject(Fault(method="GET", status=401, times=5, headers={"Date": date}, body=body))
    run = run_job(post=False)
    error = run.main.errors[0]
    assert run.main.exit_code == 1 and len(run.main.errors) == 1
    assert error.startswith("GitHub rejected the app JWT's times (HTTP 401: " + message)
    assert "The key is not the problem" in error and "clock" in error
    assert "belong to the same GitHub App" not in error and "fingerprint" not in error


def test_an_app_jwt_input_with_wrong_times_is_explained_as_its_signing(
    run_job: RunJob, emulator: GitHubEmulator, app_key_pem: str
) -> None:
    import jwt as pyjwt

    from github_app_token.private_key import load_private_key

    now = int(time.time())
    given = pyjwt.encode(
        {"iat": now - 60, "exp": now + 300, "iss": emulator.apps[0].client_id}, load_private_key(app_key_pem), "RS256"
    )
    date = email.utils.formatdate(time.time(), usegmt=True)
    body = {"message": MSG_EXP_PAST, "documentation_url": "https://docs.github.com/rest", "status": "401"}
    emulator.inject(Fault(method="GET", status=401, headers={"Date": date}, body=body))
    run = run_job({"app-jwt": given, "client-id": "", "private-key": ""}, post=False)
    (error,) = run.main.errors
    assert "the JWT was signed with wrong times, not with a wrong key" in error, error
    assert json.dumps(given) not in run.main.stdout
