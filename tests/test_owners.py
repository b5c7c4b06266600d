"""Several owners in one step, repository IDs, and app JWTs signed elsewhere, as the runner runs them.

Every run goes through ``run_job``: each token (and a given app JWT) is masked before any other
appearance, nothing else leaks, and the runner would act on no command we did not write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import JobRun
from tests.github_emulator import App, GitHubEmulator, generate_private_key

RunJob = Callable[..., JobRun]
CREATE = "/app/installations/{installation_id}/access_tokens"
NO_KEY = {"client-id": "", "private-key": ""}  # run_job gives both by default


@pytest.fixture
def labs(emulator: GitHubEmulator, app: App) -> GitHubEmulator:
    """A third account with an installation: organization ``octo-labs`` (``lab``, ``site``)."""
    org = emulator.add_account("octo-labs", "Organization")
    for name in ("lab", "site"):
        emulator.add_repository(org, name)
    emulator.install(app, org, None, {"contents": "write", "metadata": "read"})
    return emulator


def lookups(emulator: GitHubEmulator) -> list[str]:
    return [e.path for e in emulator.exchanges if e.path.endswith("/installation")]


def bodies(emulator: GitHubEmulator) -> list[object]:
    return [e.body for e in emulator.requests_to("POST", CREATE)]


def assert_tokens_per_owner(run: JobRun, emulator: GitHubEmulator, owners: list[str]) -> dict[str, str]:
    """Main handed over one token per owner, in order; post revoked every one."""
    main = run.main
    assert main.exit_code == 0, main.log
    tokens = json.loads(main.outputs["tokens"])
    assert list(tokens) == owners
    assert set(tokens.values()) == set(emulator.tokens) and len(emulator.tokens) == len(owners)
    assert main.outputs["token"] == tokens[owners[0]]  # the single outputs are the first owner's
    installations = json.loads(main.outputs["installations"])
    assert list(installations) == owners
    for owner, token in tokens.items():
        issued = emulator.tokens[token]
        assert issued.installation.account.login.lower() == owner.lower()
        details = installations[owner]
        assert details["installation_id"] == issued.installation.id and details["app_slug"] == "token-minter"
        assert details["permissions"] == issued.permissions
    assert sorted(main.token_masks()) == sorted(tokens.values())
    assert main.outputs["installation-id"] == str(installations[owners[0]]["installation_id"])
    assert run.post is not None and run.post.exit_code == 0
    assert all(issued.revoked for issued in emulator.tokens.values())
    assert len(emulator.requests_to("DELETE", "/installation/token")) == len(owners)
    for owner in owners:  # one line per owner, naming it
        assert f"Revoked the installation access token for '{owner}' (it would have expired at " in run.post.stdout
    return dict(tokens)


# --- several owners ---------------------------------------------------------------------------
def test_two_owners_by_owner_alone(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"owner": "octo-org, octocat"})
    assert_tokens_per_owner(run, emulator, ["octo-org", "octocat"])
    assert sorted(lookups(emulator)) == ["/users/octo-org/installation", "/users/octocat/installation"]
    assert bodies(emulator) == [None, None]  # each owner's whole installation
    assert len(emulator.exchanges) == 2 * 2 + 2  # two requests per owner, one revoke each
    assert "### GitHub App installation tokens" in run.main.summary
    assert run.main.summary.count("| `octo") == 2


def test_three_owners_by_owner_repo_entries_with_permissions(run_job: RunJob, labs: GitHubEmulator) -> None:
    run = run_job({"repositories": "octo-org/app\nocto-labs/lab, octocat/blog", "permission-contents": "read"})
    assert_tokens_per_owner(run, labs, ["octo-org", "octo-labs", "octocat"])
    assert sorted(lookups(labs)) == [
        "/repos/octo-labs/lab/installation",
        "/repos/octo-org/app/installation",
        "/repos/octocat/blog/installation",
    ]
    assert sorted(json.dumps(body, sort_keys=True) for body in bodies(labs)) == sorted(
        json.dumps({"repositories": [name], "permissions": {"contents": "read"}}, sort_keys=True)
        for name in ("app", "lab", "blog")
    )
    installations = json.loads(run.main.outputs["installations"])
    assert installations["octo-labs"]["repositories"] == ["lab"]


def test_owner_list_with_owner_repo_entries_keeps_the_owners_as_written(run_job: RunJob, labs: GitHubEmulator) -> None:
    run = run_job({"owner": "octo-org\nOcto-Labs", "repositories": "octo-org/infra, octo-labs/site, octo-org/app"})
    tokens = assert_tokens_per_owner(run, labs, ["octo-org", "Octo-Labs"])
    assert labs.tokens[tokens["octo-org"]].repositories == ["infra", "app"]
    assert labs.tokens[tokens["Octo-Labs"]].repositories == ["site"]


def test_one_failing_owner_revokes_the_others_tokens(run_job: RunJob, emulator: GitHubEmulator) -> None:
    """All or nothing: the first owner's token exists, then the second owner fails."""
    run = run_job({"owner": "octo-org, stranger-org, octocat"})
    main = run.main
    assert main.exit_code == 1 and len(main.errors) == 1, main.log
    error = main.errors[0]
    assert "Could not create the tokens for 'stranger-org' (1 of 3 owners)" in error
    assert "'stranger-org': The GitHub App is not installed on the account 'stranger-org'" in error
    assert "revoked at once: none is left valid" in error
    assert main.outputs == {} and main.state == {}
    assert len(emulator.tokens) == 2 and all(issued.revoked for issued in emulator.tokens.values())
    assert sorted(main.token_masks()) == sorted(emulator.tokens)  # masked as they arrived
    assert run.post is not None and "nothing to revoke" in run.post.stdout


def test_several_failing_owners_are_each_named(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"owner": "nobody-here, octo-org, stranger-org"})
    (error,) = run.main.errors
    assert "Could not create the tokens for 'nobody-here', 'stranger-org' (2 of 3 owners)" in error
    assert "'nobody-here': The GitHub App is not installed on the account 'nobody-here'" in error
    assert "'stranger-org': The GitHub App is not installed" in error
    assert [issued.revoked for issued in emulator.tokens.values()] == [True]


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"owner": "octo-org, octocat", "repositories": "app"}, "names 'app' without an owner, but 'owner' lists"),
        ({"owner": "octo-org, octocat", "repositories": "octo-org/app"}, "'owner' lists 'octocat', but"),
        ({"owner": "octocat", "repositories": "octo-org/app"}, "another owner than 'octocat' listed in 'owner'"),
        ({"repositories": "app, octocat/blog"}, "another owner than 'octo-org'"),
        ({"owner": "octo-org,octocat", "repository-ids": "1"}, "'repository-ids' can only be used with one owner"),
        ({"owner": "octo-org,octocat", "installation-id": "1006"}, "'installation-id' names one installation"),
        ({"owner": ",".join(f"org-{n}" for n in range(21))}, "lists 21 owners; one step mints tokens for at most 20"),
        ({"repository-ids": "12a"}, "'repository-ids' must hold repository IDs"),
        ({"enterprise": "octo-enterprise", "repository-ids": "1"}, "'enterprise' cannot be combined"),
    ],
)
def test_scope_mistakes_are_refused_before_any_request(
    run_job: RunJob, emulator: GitHubEmulator, given: dict[str, str], fragment: str
) -> None:
    run = run_job(given)
    assert run.main.exit_code == 1 and len(run.main.errors) == 1, run.main.log
    assert fragment in run.main.errors[0]
    assert emulator.exchanges == []


# --- repository IDs -------------------------------------------------------------------------------
def repository_id(emulator: GitHubEmulator, owner: str, name: str) -> int:
    return emulator.repositories[(owner, name)].id


def test_repository_ids_alone_look_the_installation_up_by_owner(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"repository-ids": str(repository_id(emulator, "octo-org", "infra"))})
    assert run.main.exit_code == 0, run.main.log
    assert lookups(emulator) == ["/users/octo-org/installation"]
    assert bodies(emulator) == [{"repository_ids": [repository_id(emulator, "octo-org", "infra")]}]
    (issued,) = emulator.tokens.values()
    assert issued.repositories == ["infra"]
    assert json.loads(run.main.outputs["repositories"]) == ["infra"]
    assert json.loads(run.main.outputs["tokens"]) == {"octo-org": run.main.outputs["token"]}


def test_repository_ids_with_names_and_an_owner(run_job: RunJob, emulator: GitHubEmulator) -> None:
    blog = repository_id(emulator, "octocat", "blog")
    run = run_job({"owner": "octocat", "repositories": "dotfiles", "repository-ids": f"{blog}\n{blog}"})
    assert run.main.exit_code == 0, run.main.log
    assert lookups(emulator) == ["/repos/octocat/dotfiles/installation"]
    assert bodies(emulator) == [{"repositories": ["dotfiles"], "repository_ids": [blog]}]
    assert sorted(json.loads(run.main.outputs["repositories"])) == ["blog", "dotfiles"]


def test_an_id_outside_the_installation_is_explained(run_job: RunJob, emulator: GitHubEmulator) -> None:
    docs = repository_id(emulator, "octo-org", "docs")  # not selected for the installation
    run = run_job({"repository-ids": str(docs)})
    assert run.main.exit_code == 1
    assert "HTTP 422" in run.main.errors[0] and f"repositories: ID {docs}" in run.main.errors[0]


# --- app JWTs signed elsewhere --------------------------------------------------------------------
def sign(key: rsa.RSAPrivateKey, issuer: str, *, iat: float, exp: float, alg: str = "RS256") -> str:
    """An app JWT as a KMS would sign it (here with the key itself)."""
    claims = {"iat": int(iat), "exp": int(exp), "iss": issuer}
    if alg == "HS256":
        return jwt.encode(claims, "a-shared-secret-that-is-long-enough", algorithm="HS256")
    return jwt.encode(claims, key, algorithm=alg)


@pytest.mark.parametrize("signed_ago", [60, 3600])
def test_app_jwt_signed_elsewhere(
    run_job: RunJob, emulator: GitHubEmulator, app: App, app_key: rsa.RSAPrivateKey, signed_ago: int
) -> None:
    """No key, no ID: the JWT alone. ``signed_ago`` 3600: valid, but issued an hour ago."""
    now = time.time()
    given = sign(app_key, app.client_id, iat=now - signed_ago, exp=now + 300)
    run = run_job({**NO_KEY, "app-jwt": given, "owner": "octocat"})
    assert run.main.exit_code == 0, run.main.log
    assert run.main.stdout.splitlines()[0] == f"::add-mask::{given}"  # before anything else
    sent = {e.headers["Authorization"] for e in emulator.exchanges if e.method != "DELETE"}
    assert sent == {f"Bearer {given}"}
    assert run.post is not None and "Revoked the installation access token." in run.post.stdout


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda key, iss, now: "not.a.jwt", "'app-jwt' is not a JSON web token"),
        (lambda key, iss, now: sign(key, iss, iat=now, exp=now + 300, alg="HS256"), "signed with 'HS256'"),
        (lambda key, iss, now: jwt.encode({"iat": int(now), "exp": int(now) + 300}, key, "RS256"), "no 'iss'"),
        (lambda key, iss, now: jwt.encode({"iss": iss, "exp": int(now) + 300}, key, "RS256"), "lacks an 'iat'"),
        (lambda key, iss, now: sign(key, iss, iat=now - 700, exp=now - 100), "'app-jwt' expired at"),
        (lambda key, iss, now: sign(key, iss, iat=now - 60, exp=now + 20), "too soon for this step to finish"),
        (lambda key, iss, now: sign(key, iss, iat=now - 60, exp=now + 3600), "valid for 60 more minutes"),
        (lambda key, iss, now: sign(key, iss, iat=now + 300, exp=now + 500), "in the future by this runner's clock"),
    ],
)
def test_app_jwt_refusals_before_any_request(
    run_job: RunJob,
    emulator: GitHubEmulator,
    app: App,
    app_key: rsa.RSAPrivateKey,
    make: Callable[[rsa.RSAPrivateKey, str, float], str],
    fragment: str,
) -> None:
    given = make(app_key, app.client_id, time.time())
    run = run_job({**NO_KEY, "app-jwt": given})
    assert run.main.exit_code == 1 and len(run.main.errors) == 1, run.main.log
    assert fragment in run.main.errors[0]
    assert given not in run.main.errors[0]
    assert emulator.exchanges == []


def test_app_jwt_and_private_key_together_are_refused(
    run_job: RunJob, emulator: GitHubEmulator, app: App, app_key: rsa.RSAPrivateKey
) -> None:
    given = sign(app_key, app.client_id, iat=time.time() - 60, exp=time.time() + 300)
    run = run_job({"app-jwt": given})  # run_job also passes the private key
    assert "Both 'app-jwt' and 'private-key' are set" in run.main.errors[0]
    assert emulator.exchanges == []


def test_app_jwt_of_another_key_is_explained(run_job: RunJob, emulator: GitHubEmulator, app: App) -> None:
    given = sign(generate_private_key(), app.client_id, iat=time.time() - 60, exp=time.time() + 300)
    run = run_job({**NO_KEY, "app-jwt": given})
    (error,) = run.main.errors
    assert "GitHub rejected the app JWT from 'app-jwt' (HTTP 401" in error and app.client_id in error


def test_github_clock_far_off_cannot_be_corrected_for_a_given_jwt(
    run_job: RunJob, emulator: GitHubEmulator, app: App, app_key: rsa.RSAPrivateKey
) -> None:
    emulator.clock_offset = 3600  # GitHub an hour ahead: the JWT has expired by its clock
    given = sign(app_key, app.client_id, iat=time.time() - 60, exp=time.time() + 300)
    run = run_job({**NO_KEY, "app-jwt": given})
    (error,) = run.main.errors
    assert "GitHub rejected the times of the app JWT" in error
    assert "GitHub's clock is 3600 s ahead of this runner's" in error or "3599 s ahead" in error
    assert len(emulator.exchanges) == 1  # no re-signing, no retry


def test_a_bug_for_one_owner_still_revokes_the_others(
    emulator: GitHubEmulator, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process: an unexpected exception while minting one owner's token is that owner's failure."""
    from github_app_token import core
    from github_app_token.app_jwt import AppAuth
    from github_app_token.errors import ActionError
    from github_app_token.github_api import GitHubAPI
    from github_app_token.inputs import InstallationTarget, TokenScope

    real = core.mint_one

    def broken(scope: TokenScope, request: core.MintRequest, api: GitHubAPI):  # type: ignore[no-untyped-def]
        if scope.target.owner == "octocat":
            raise KeyError("a bug")
        return real(scope, request, api)

    monkeypatch.setattr(core, "mint_one", broken)
    scopes = tuple(TokenScope(InstallationTarget(owner), None, {}) for owner in ("octo-org", "octocat"))
    request = core.MintRequest(AppAuth(app.client_id, app.private_key), "client-id", scopes, "https://github.example")
    api = GitHubAPI(emulator.url)
    with pytest.raises(ActionError, match="'octocat': Unexpected internal error \\(KeyError\\)"):
        core.mint(request, api)
    api.close()
    assert len(emulator.tokens) == 1 and all(issued.revoked for issued in emulator.tokens.values())
