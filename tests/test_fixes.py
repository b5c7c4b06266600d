"""Errors that say the fix, with the facts GitHub already gave, at no cost on the success path.

Every run goes through ``run_job`` (no secret anywhere, no command we did not write). Each test
counts the requests: none is added on success; a 404 costs at most the bounded listing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from github_app_token.core import LISTING_PAGES
from tests.conftest import JobRun
from tests.github_emulator import Fault, GitHubEmulator, generate_private_key, pem_pkcs1

RunJob = Callable[..., JobRun]


def operations(emulator: GitHubEmulator) -> list[str]:
    return [f"{e.method} {e.operation or e.path}" for e in emulator.exchanges]


def failed(run: JobRun, *fragments: str) -> str:
    main = run.main
    assert main.exit_code == 1 and len(main.errors) == 1, main.log
    for fragment in fragments:
        assert fragment in main.errors[0], main.errors[0]
    assert main.outputs == {} and "Traceback" not in main.log
    return main.errors[0]


# --- installation not found: where the app is installed ------------------------------------------
def test_a_typo_in_owner_is_answered_with_the_owner_meant(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"owner": "octo-orgg"})
    failed(
        run,
        "not installed on the account 'octo-orgg'",
        "It is installed on 3 account(s): 'octo-org', 'octocat', 'octo-enterprise'.",
        "Did you mean 'octo-org'?",
        "https://github.example/apps/token-minter/installations/new",
    )
    assert operations(emulator) == ["GET /users/{username}/installation", "GET /app/installations"]


def test_a_repository_not_selected_for_its_owners_installation(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"repositories": "docs"})
    org = next(i for i in emulator.installations.values() if i.account.login == "octo-org")
    failed(
        run,
        "'octo-org/docs'",
        "The app is installed on 'octo-org', but that installation cannot access 'docs'",
        f"https://github.example/organizations/octo-org/settings/installations/{org.id}",
    )
    assert "Did you mean" not in run.main.errors[0]
    assert operations(emulator) == ["GET /repos/{owner}/{repo}/installation", "GET /app/installations"]


def test_a_repository_whose_owner_has_no_installation(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job(repository="stranger-org/secret")
    failed(run, "not installed on the repository 'stranger-org/secret'", "It is installed on 3 account(s)")
    assert "cannot access" not in run.main.errors[0]


def test_an_app_installed_nowhere_still_links_its_install_page(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.installations.clear()
    run = run_job({"owner": "octo-org"})
    failed(run, "It is not installed on any account yet.", "/apps/token-minter/installations/new")
    # No installation gives the slug: GET /app is asked for it, once.
    assert operations(emulator) == ["GET /users/{username}/installation", "GET /app/installations", "GET /app"]


def test_the_listing_is_bounded(run_job: RunJob, emulator: GitHubEmulator) -> None:
    app = emulator.apps[0]
    for index in range(LISTING_PAGES * 100 + 50):
        emulator.install(app, emulator.add_account(f"customer-{index}"), None, {"contents": "read"})
    run = run_job({"owner": "customer-x"})
    error = failed(run, "It is installed on 1000 account(s): 'octo-org'", "and 990 more")
    assert len(error) < 2000
    assert operations(emulator).count("GET /app/installations") == LISTING_PAGES


# --- refused before asking: permissions and suspension ------------------------------------------------
def test_each_permission_not_granted_is_named_before_asking(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"owner": "octocat", "permission-contents": "write", "permission-issues": "read"})
    inst = next(i for i in emulator.installations.values() if i.account.login == "octocat")
    failed(
        run,
        "not granted what this step asks for (contents: write asked, read granted; issues: read asked, none granted)",
        "Permissions & events",
        f"https://github.example/settings/installations/{inst.id}",
    )
    assert operations(emulator) == ["GET /users/{username}/installation"]  # no token request


def test_permissions_within_the_grant_cost_nothing(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"permission-contents": "read", "permission-issues": "write"})
    assert run.main.exit_code == 0, run.main.log
    assert len(emulator.exchanges) == 3  # lookup, create, revoke: as before


def test_a_suspended_installation_is_refused_before_asking(run_job: RunJob, emulator: GitHubEmulator) -> None:
    org = next(i for i in emulator.installations.values() if i.account.login == "octo-org")
    admin = emulator.add_account("org-admin", "User")
    org.suspend(admin, at=1_767_225_600)  # 2026-01-01 00:00:00 UTC
    run = run_job()
    failed(
        run,
        f"The installation on 'octo-org' (installation {org.id}) is suspended since 2026-01-01T00:00:00Z,",
        "by 'org-admin'",
        "(Unsuspend)",
    )
    assert operations(emulator) == ["GET /repos/{owner}/{repo}/installation"]


# --- missing secrets: why, and skipping cleanly -------------------------------------------------------
def fork_event(tmp_path: Path) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"pull_request": {"head": {"repo": {"full_name": "contributor/app"}}}}))
    return str(path)


@pytest.mark.parametrize(
    ("context", "fragment"),
    [
        ("fork", "pull request from the fork 'contributor/app'"),
        ("dependabot", "started by Dependabot"),
        ("other", "reusable workflow"),
    ],
)
def test_missing_secrets_are_explained_from_the_runs_context(
    run_job: RunJob, emulator: GitHubEmulator, tmp_path: Path, context: str, fragment: str
) -> None:
    env = {
        "fork": {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": fork_event(tmp_path)},
        "dependabot": {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_ACTOR": "dependabot[bot]"},
        "other": {"GITHUB_EVENT_NAME": "push"},
    }[context]
    run = run_job({"private-key": ""}, env=env)
    failed(run, "'private-key' is empty", fragment)
    run = run_job({"client-id": "", "private-key": ""}, env=env)
    # The ID is a variable: the last hint is about variables, not about passing a secret.
    variable = "check its name under Settings > Secrets and variables > Actions > Variables"
    error = failed(run, "Neither 'client-id' nor 'app-id' is set", variable if context == "other" else fragment)
    assert context != "other" or "secrets: inherit" not in error
    assert emulator.exchanges == []


def test_a_pull_request_from_this_repository_is_not_called_a_fork(run_job: RunJob, tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"pull_request": {"head": {"repo": {"full_name": "octo-org/app"}}}}))
    run = run_job({"private-key": ""}, env={"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(path)})
    error = failed(run, "'private-key' is empty", "reusable workflow")
    assert "pull request from the fork" not in error


def test_skip_without_credentials(run_job: RunJob, emulator: GitHubEmulator, tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": fork_event(tmp_path)}
    run = run_job({"private-key": "", "skip-without-credentials": "true"}, env=env)
    main = run.main
    assert main.exit_code == 0 and main.errors == [] and main.state == {}
    assert main.outputs == {"skipped": "true"}
    (notice,) = main.commands("notice")
    assert "No token was created, as 'skip-without-credentials' allows" in notice and "fork" in notice
    assert run.post is not None and run.post.exit_code == 0 and "nothing to revoke" in run.post.stdout
    assert emulator.exchanges == []


def test_skip_without_credentials_does_not_hide_other_mistakes(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"private-key": "not a key", "skip-without-credentials": "true"})
    failed(run, "'private-key' is not a PEM private key")


# --- which key is this? -------------------------------------------------------------------------------
def fingerprint(key: rsa.RSAPrivateKey) -> str:
    """As GitHub's docs compute it: openssl rsa -pubout -outform DER | openssl sha256 -binary | base64."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def test_a_wrong_key_is_shown_by_its_fingerprint(run_job: RunJob, emulator: GitHubEmulator) -> None:
    other = generate_private_key()
    other_pem = pem_pkcs1(other)
    run = run_job({"private-key": other_pem}, key_pem=other_pem)  # run_job checks no key fragment appears
    error = failed(run, "HTTP 401", f"The key given has the fingerprint {fingerprint(other)};", "Private keys")
    public_pem = other.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    for line in public_pem.decode().splitlines()[1:-1]:
        assert line not in run.main.log  # nothing of the key but the fingerprint
    assert fingerprint(emulator.apps[0].private_key) not in error
    assert len(emulator.exchanges) == 1


# --- clock and rate limits -----------------------------------------------------------------------------
@pytest.mark.parametrize(("offset", "words"), [(-312, "312 s ahead of GitHub's"), (3600, "3600 s behind GitHub's")])
def test_a_corrected_clock_is_one_warning_with_the_offset(
    run_job: RunJob, emulator: GitHubEmulator, offset: int, words: str
) -> None:
    """``offset`` is GitHub's clock minus the runner's (the emulator's clock_offset)."""
    emulator.clock_offset = offset
    run = run_job()
    assert run.main.exit_code == 0, run.main.log
    (warning,) = run.main.warnings
    measured = int(warning.split("This runner's clock is ")[1].split(" s ")[0])
    assert abs(measured - abs(offset)) <= 2 and words.split(" ", 1)[1] in warning
    assert "NTP" in warning


def test_no_warning_when_the_clock_needed_no_correction(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.clock_offset = 200  # within the JWT's margins: no 401, no correction
    run = run_job()
    assert run.main.exit_code == 0 and run.main.warnings == []


def test_giving_up_on_a_rate_limit_says_which_when_and_how_many(run_job: RunJob, emulator: GitHubEmulator) -> None:
    headers = {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-used": "5000",
        "x-ratelimit-reset": "1893456000",  # 2030-01-01 00:00:00 UTC: far beyond the budget
        "x-ratelimit-resource": "core",
    }
    message = "API rate limit exceeded for installation ID 1006."
    emulator.inject(Fault(method="POST", status=403, headers=headers, body={"message": message}))
    run = run_job()
    failed(
        run,
        "GitHub's rate limit stopped POST /app/installations/",
        "limit 'core', 0 of 5000 requests left, resets at 2030-01-01 00:00:00 UTC",
        message,
    )
    assert [e.method for e in emulator.exchanges] == ["GET", "POST"]  # given up at once: the reset is far


# --- the step summary of a failed step ----------------------------------------------------------------
def test_a_failed_step_explains_itself_in_the_summary(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"owner": "octo-orgg"})
    error = failed(run)
    summary = run.main.summary
    assert summary.startswith("### GitHub App installation token: the step failed")
    assert "**What went wrong:** The GitHub App is not installed on the account 'octo-orgg'" in summary
    assert "**How to fix it:** " in summary
    assert "<https://github.example/apps/token-minter/installations/new>" in summary
    words = summary.replace("<", "").replace(">", "").replace("**What went wrong:** ", "")
    assert all(part in words for part in error.split(". ")), "the summary says what the ::error:: line says"
