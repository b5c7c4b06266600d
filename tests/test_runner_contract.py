"""The action run as the runner runs it (entrypoint as a subprocess) against the emulator.

Every scenario goes through the ``run_job`` fixture, which also checks that the token
is masked before any other appearance and that no token, JWT or key leaks.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from github_app_token import __version__
from tests.conftest import JobRun, assert_exchanges_conform
from tests.github_emulator import App, Fault, GitHubEmulator, default_world, pem_pkcs8
from tests.runner_harness import Job, StepResult, assert_no_leaks, jwts_seen

CREATE = "/app/installations/{installation_id}/access_tokens"
RunJob = Callable[..., JobRun]


def only_token(emulator: GitHubEmulator) -> str:
    assert len(emulator.tokens) == 1
    return next(iter(emulator.tokens))


def assert_minted(run: JobRun, emulator: GitHubEmulator) -> str:
    """Main succeeded with all four outputs, state saved; return the token."""
    main = run.main
    assert main.exit_code == 0, main.log
    assert main.errors == [] and main.warnings == []
    token = only_token(emulator)
    installation = emulator.tokens[token].installation
    issued = emulator.tokens[token]
    assert main.outputs == {
        "token": token,
        "installation-id": str(installation.id),
        "app-slug": "token-minter",
        "expires-at": main.outputs["expires-at"],
        "permissions": json.dumps(issued.permissions, separators=(",", ":")),
        "repositories": main.outputs["repositories"],  # GitHub's order, checked below
        "bot-name": "token-minter[bot]",
        "bot-user-id": "",
        "bot-email": "",
        # Added with several owners per step: the same token and details, keyed by the owner.
        "tokens": json.dumps({installation.account.login: token}, separators=(",", ":")),
        "installations": main.outputs["installations"],
    }
    (details,) = json.loads(main.outputs["installations"]).values()
    assert details == {
        "installation_id": installation.id,
        "app_slug": "token-minter",
        "expires_at": main.outputs["expires-at"],
        "permissions": issued.permissions,
        "repositories": json.loads(main.outputs["repositories"]),
    }
    assert sorted(json.loads(main.outputs["repositories"])) == sorted(issued.repositories or [])
    expires = datetime.datetime.fromisoformat(main.outputs["expires-at"].replace("Z", "+00:00"))
    # GitHub's expiry (an hour after the request) to the second: compared with GitHub's, not the wall clock.
    assert abs(expires.timestamp() - issued.expires_at) < 1 and emulator.token_lifetime == 3600
    masks = main.commands("add-mask")  # the token once, and each app JWT the step signed
    assert masks.count(token) == 1 and set(masks) - {token} == set(jwts_seen(emulator.exchanges))
    assert "Created an installation access token for" in main.stdout
    return token


def assert_revoked(run: JobRun, emulator: GitHubEmulator, token: str) -> None:
    assert run.post is not None
    assert run.post.exit_code == 0
    assert "Revoked the installation access token." in run.post.stdout
    assert emulator.tokens[token].revoked
    assert len(emulator.requests_to("DELETE", "/installation/token")) == 1


def assert_failed_cleanly(result: StepResult, *fragments: str) -> str:
    """Exit 1 after exactly one ::error:: line holding each fragment; no traceback."""
    assert result.exit_code == 1, result.log
    assert len(result.errors) == 1, result.log
    assert "Traceback" not in result.log
    assert result.stderr == ""
    message = result.errors[0]
    for fragment in fragments:
        assert fragment in message, message
    assert result.outputs == {} and result.state == {}
    return message


def lookups(emulator: GitHubEmulator) -> list[str]:
    return [e.path for e in emulator.exchanges if e.path.endswith("/installation")]


def create_bodies(emulator: GitHubEmulator) -> list[object]:
    return [e.body for e in emulator.requests_to("POST", CREATE)]


# --- the four scope rules ------------------------------------------------------------------
def test_default_scope_is_the_current_repository(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job()
    token = assert_minted(run, emulator)
    assert lookups(emulator) == ["/repos/octo-org/app/installation"]
    assert create_bodies(emulator) == [{"repositories": ["app"]}]
    assert run.main.state == {
        "token": token,
        "expires-at": run.main.outputs["expires-at"],
        "clock-offset": run.main.state["clock-offset"],
    }
    assert abs(int(run.main.state["clock-offset"])) <= 1  # the emulator's clock is ours
    assert_revoked(run, emulator, token)
    # Exactly two requests in main and one in post.
    assert [(e.method, e.operation) for e in emulator.exchanges] == [
        ("GET", "/repos/{owner}/{repo}/installation"),
        ("POST", CREATE),
        ("DELETE", "/installation/token"),
    ]


def test_owner_alone_gives_every_repository_of_the_installation(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"owner": "octocat"})
    token = assert_minted(run, emulator)
    assert lookups(emulator) == ["/users/octocat/installation"]
    assert create_bodies(emulator) == [None]  # no body at all: every repository, every permission
    assert emulator.tokens[token].repositories is None
    assert "all repositories of the installation" in run.main.stdout
    assert_revoked(run, emulator, token)


def test_repositories_alone_use_the_current_owner(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"repositories": " octo-org/infra\n app,, infra ,app\n"})
    token = assert_minted(run, emulator)
    assert lookups(emulator) == ["/repos/octo-org/infra/installation"]
    assert create_bodies(emulator) == [{"repositories": ["infra", "app"]}]
    assert "repositories: infra, app" in run.main.stdout or "repositories: app, infra" in run.main.stdout
    assert_revoked(run, emulator, token)


def test_owner_and_repositories(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"owner": "octocat", "repositories": "dotfiles\nOctocat/blog"})
    token = assert_minted(run, emulator)
    assert lookups(emulator) == ["/repos/octocat/dotfiles/installation"]
    assert create_bodies(emulator) == [{"repositories": ["dotfiles", "blog"]}]
    assert_revoked(run, emulator, token)


def test_permissions_are_requested(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"permission-contents": "read", "permission-pull-requests": "READ", "permission-issues": ""})
    token = assert_minted(run, emulator)
    assert create_bodies(emulator) == [
        {"repositories": ["app"], "permissions": {"contents": "read", "pull_requests": "read"}}
    ]
    assert emulator.tokens[token].permissions == {"contents": "read", "pull_requests": "read"}
    assert "permissions: contents=read, pull_requests=read" in run.main.stdout


def test_every_request_carries_the_api_headers(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run_job()
    assert len(emulator.exchanges) == 3
    for exchange in emulator.exchanges:
        headers = {k.lower(): v for k, v in exchange.headers.items()}
        assert headers["accept"] == "application/vnd.github+json"
        assert headers["x-github-api-version"] == "2022-11-28"
        assert headers["user-agent"] == f"github-app-token/{__version__}"
        assert headers["authorization"].startswith("Bearer ")


# --- identity and keys -----------------------------------------------------------------------
def issuers(emulator: GitHubEmulator) -> set[str]:
    return {str(jwt.decode(j, options={"verify_signature": False})["iss"]) for j in jwts_seen(emulator.exchanges)}


def test_app_id_is_the_issuer_when_no_client_id(run_job: RunJob, emulator: GitHubEmulator, app: App) -> None:
    run = run_job({"client-id": "", "app-id": str(app.id)})
    assert_minted(run, emulator)
    assert issuers(emulator) == {"4242"}


def test_client_id_wins_over_app_id(run_job: RunJob, emulator: GitHubEmulator, app: App) -> None:
    run = run_job({"app-id": "999"})
    assert_minted(run, emulator)
    assert issuers(emulator) == {app.client_id}


def test_app_jwt_claims(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run_job(post=False)
    for token in jwts_seen(emulator.exchanges):
        assert jwt.get_unverified_header(token)["alg"] == "RS256"
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iat"] <= emulator.now() - 59
        assert 0 < claims["exp"] - emulator.now() <= 600


@pytest.mark.parametrize(
    "shape",
    ["pkcs8", "escaped-newlines", "crlf", "surrounding-whitespace", "one-line", "base64-of-pem"],
)
def test_private_key_shapes(
    run_job: RunJob, emulator: GitHubEmulator, app_key: rsa.RSAPrivateKey, app_key_pem: str, shape: str
) -> None:
    key = {
        "pkcs8": pem_pkcs8(app_key),
        "escaped-newlines": app_key_pem.replace("\n", "\\n"),
        "crlf": app_key_pem.replace("\n", "\r\n"),
        "surrounding-whitespace": "\n  " + app_key_pem + "  \n\n",
        "one-line": app_key_pem.replace("\n", " "),
        "base64-of-pem": base64.b64encode(app_key_pem.encode()).decode(),
    }[shape]
    run = run_job({"private-key": key}, key_pem=pem_pkcs8(app_key) if shape == "pkcs8" else None)
    assert_revoked(run, emulator, assert_minted(run, emulator))


def test_github_enterprise_server_path_prefix(tmp_path: Path, app_key: rsa.RSAPrivateKey, app_key_pem: str) -> None:
    with GitHubEmulator(prefix="/api/v3") as ghes:
        app = default_world(ghes, app_key)
        job = Job(tmp_path, ghes.url + "/")  # a trailing slash is accepted
        inputs = {"app-id": str(app.id), "private-key": app_key_pem}
        main = job.run("main", inputs)
        post = job.run("post", inputs, state=main.state)
        assert main.exit_code == 0, main.log
        assert [e.path for e in ghes.exchanges] == [
            "/repos/octo-org/app/installation",
            "/app/installations/1006/access_tokens",
            "/installation/token",
        ]
        assert all(e.status in (200, 201, 204) for e in ghes.exchanges)
        assert "Revoked" in post.stdout
        assert_no_leaks(
            [main, post], tokens=list(ghes.tokens), jwts=jwts_seen(ghes.exchanges), private_key_pem=app_key_pem
        )
        assert_exchanges_conform(ghes)


# --- post step -----------------------------------------------------------------------------
def test_skip_token_revoke(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"skip-token-revoke": "True"})
    token = assert_minted(run, emulator)
    expires_at = run.main.outputs["expires-at"]
    assert run.main.state == {"expires-at": expires_at}  # no token: nothing for the post step to revoke
    assert run.post is not None and run.post.exit_code == 0
    assert f"'skip-token-revoke' is true: the token was not revoked; it expires at {expires_at}." in run.post.stdout
    assert not emulator.tokens[token].revoked
    assert emulator.requests_to("DELETE", "/installation/token") == []


def test_expired_saved_token_is_not_revoked(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job(post=False)
    token = assert_minted(run, emulator)
    past = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    post = run_job(state={"token": token, "expires-at": past}).post
    assert post is not None and post.exit_code == 0
    assert f"The token expired at {past}; nothing to revoke." in post.stdout
    assert emulator.requests_to("DELETE", "/installation/token") == []


def test_no_saved_token_means_nothing_to_revoke(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"private-key": "not a key"})
    assert run.post is not None and run.post.exit_code == 0
    assert "nothing to revoke" in run.post.stdout
    assert run.post.warnings == [] and run.post.errors == []


def test_failed_revoke_is_one_warning_and_never_fails(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(method="DELETE", status=502, body={"message": "Server Error"}, times=10))
    run = run_job()
    token = assert_minted(run, emulator)
    assert run.post is not None and run.post.exit_code == 0
    assert len(run.post.warnings) == 1
    assert "HTTP 502: Server Error" in run.post.warnings[0]
    assert not emulator.tokens[token].revoked


def test_already_revoked_token_is_an_info_line(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job(post=False)
    token = assert_minted(run, emulator)
    emulator.tokens[token].revoked = True
    post = run_job(state=run.main.state).post
    assert post is not None and post.exit_code == 0 and post.warnings == []
    assert "already revoked or expired" in post.stdout


# --- errors ----------------------------------------------------------------------------------
def test_missing_client_id_and_app_id(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"client-id": "", "app-id": ""})
    assert_failed_cleanly(run.main, "Neither 'client-id' nor 'app-id' is set")
    assert emulator.exchanges == []


def test_missing_private_key(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"private-key": "  \n"})
    assert_failed_cleanly(run.main, "'private-key' is empty")
    assert emulator.exchanges == []


def _certificate(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def wrong_keys(key: rsa.RSAPrivateKey) -> dict[str, tuple[str, str]]:
    """Not-usable private-key inputs, each with a fragment of the expected message."""
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    openssh_public = (
        key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    )
    openssh_private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()
    ec_key = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
        .decode()
    )
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    truncated = pem[:400] + "\n-----END RSA PRIVATE KEY-----\n"
    return {
        "public-pem": (public_pem, "holds a public key"),
        "openssh-public": (openssh_public, "holds a public key"),
        "openssh-private": (openssh_private, "OpenSSH key"),
        "certificate": (_certificate(key), "holds a certificate"),
        "encrypted": (encrypted, "encrypted with a passphrase"),
        "ec": (ec_key, "is an EC key; GitHub App keys are RSA keys"),
        "base64-der": (base64.b64encode(der).decode(), "looks like base64 text"),
        "plain-text": ("my-app-secret-value", "is not a PEM private key"),
        "truncated": (truncated, "could not be read"),
    }


WRONG_KEY_KINDS = [
    "public-pem",
    "openssh-public",
    "openssh-private",
    "certificate",
    "encrypted",
    "ec",
    "base64-der",
    "plain-text",
    "truncated",
]


@pytest.mark.parametrize("kind", WRONG_KEY_KINDS)
def test_unusable_private_key_is_explained(
    run_job: RunJob, emulator: GitHubEmulator, app_key: rsa.RSAPrivateKey, kind: str
) -> None:
    text, fragment = wrong_keys(app_key)[kind]
    run = run_job({"private-key": text})
    message = assert_failed_cleanly(run.main, fragment, "settings page")
    assert emulator.exchanges == []
    for line in text.splitlines():
        if len(line) > 16 and not line.startswith("-----"):
            assert line not in run.main.log, "key material echoed"
    assert "BEGIN" not in message or "-----BEGIN and -----END lines" in message


def test_missing_github_repository(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job(env={"GITHUB_REPOSITORY": ""})
    assert_failed_cleanly(run.main, "GITHUB_REPOSITORY is not set", "'owner'")


def test_missing_github_repository_owner(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"repositories": "app"}, env={"GITHUB_REPOSITORY_OWNER": ""})
    assert_failed_cleanly(run.main, "GITHUB_REPOSITORY_OWNER is not set")


def test_wrong_private_key_is_401_naming_the_id(run_job: RunJob, emulator: GitHubEmulator, app: App) -> None:
    other = rsa.generate_private_key(65537, 2048)
    other_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    run = run_job({"private-key": other_pem}, key_pem=other_pem)
    assert_failed_cleanly(run.main, "HTTP 401", "'client-id' (Iv23liEmulatorMinter1)", "same GitHub App")
    assert len(emulator.exchanges) == 1


def test_unknown_app_id_names_the_id(run_job: RunJob, emulator: GitHubEmulator) -> None:
    """GitHub answers an app ID it does not know with 404 Integration not found: about the ID, not a
    missing installation, and not the key."""
    run = run_job({"client-id": "", "app-id": "31337"})
    error = assert_failed_cleanly(run.main, "GitHub knows no GitHub App whose ID is 31337 from 'app-id'", "HTTP 404")
    assert "installed" not in error and "key" not in error
    assert len(emulator.exchanges) == 1  # no installations listing: it would be refused the same way


def test_unknown_client_id_names_the_id(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"client-id": "Iv23liNoSuchApp"})
    error = assert_failed_cleanly(run.main, "GitHub knows no GitHub App whose ID is Iv23liNoSuchApp from 'client-id'")
    assert "'Issuer' claim ('iss') must be an Integer" in error


def test_repository_without_installation_links_the_install_page(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job(repository="stranger-org/secret")
    assert_failed_cleanly(
        run.main,
        "not installed on the repository 'stranger-org/secret'",
        "https://github.example/apps/token-minter/installations/new",
    )
    # Only on this failure path: the installations listing (which also gives the app's slug).
    assert [e.operation for e in emulator.exchanges] == ["/repos/{owner}/{repo}/installation", "/app/installations"]


def test_repository_not_selected_in_installation_is_404(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"repositories": "docs"})
    assert_failed_cleanly(run.main, "'octo-org/docs'", "HTTP 404")


def test_owner_without_installation(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"owner": "nobody-here"})
    assert_failed_cleanly(run.main, "not installed on the account 'nobody-here'", "installations/new")


def test_repositories_outside_installation_is_422_repeating_the_request(
    run_job: RunJob, emulator: GitHubEmulator
) -> None:
    run = run_job({"repositories": "app,docs"})
    assert_failed_cleanly(run.main, "HTTP 422", "does not exist or is not accessible", "repositories: app, docs")


def test_permission_not_granted_is_refused_before_asking(run_job: RunJob, emulator: GitHubEmulator) -> None:
    """The lookup's record says what was granted: no token request (issue 12)."""
    run = run_job({"permission-contents": "read", "permission-administration": "write"})
    assert_failed_cleanly(run.main, "not granted what this step asks for", "administration: write asked, none granted")
    assert emulator.requests_to("POST", CREATE) == []


def test_permission_not_granted_is_422_repeating_the_request(run_job: RunJob, emulator: GitHubEmulator) -> None:
    """With installation-id there is no record to check: GitHub's 422 is explained."""
    org = next(i for i in emulator.installations.values() if i.account.login == "octo-org")
    run = run_job({"installation-id": str(org.id), "permission-contents": "read", "permission-administration": "write"})
    assert_failed_cleanly(run.main, "HTTP 422", "not granted", "permissions: administration=write, contents=read")


def test_unknown_permission_input(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"permission-content": "read"})
    assert_failed_cleanly(run.main, "'permission-content' is not a GitHub App permission", "permission-contents")
    assert emulator.exchanges == []


def test_unknown_permission_level(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"permission-workflows": "read"})
    assert_failed_cleanly(run.main, "'permission-workflows' must be one of: write")
    run = run_job({"permission-organization-projects": "owner"})
    assert_failed_cleanly(run.main, "must be one of: read, write, admin")


def test_repository_of_another_owner(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"repositories": "app\nsomeone-else/app"})
    assert_failed_cleanly(run.main, "'someone-else/app'", "another owner than 'octo-org'")
    assert emulator.exchanges == []


def test_bad_skip_token_revoke(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"skip-token-revoke": "yes"})
    assert_failed_cleanly(run.main, "'skip-token-revoke' must be true or false")


def test_outputs_file_missing(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job(env={"GITHUB_OUTPUT": ""}, post=False)
    assert_failed_cleanly(run.main, "GITHUB_OUTPUT is not set")
    assert emulator.tokens == {}  # checked before any token is created


# --- installation-id ---------------------------------------------------------------------------
def test_installation_id_skips_the_lookup(run_job: RunJob, emulator: GitHubEmulator) -> None:
    org = next(i for i in emulator.installations.values() if i.account.login == "octo-org")
    run = run_job({"installation-id": str(org.id), "repositories": "infra"})
    assert run.main.exit_code == 0, run.main.log
    assert [e.operation for e in emulator.exchanges] == [CREATE, "/installation/token"]
    assert run.main.outputs["installation-id"] == str(org.id) and run.main.outputs["app-slug"] == ""
    assert create_bodies(emulator) == [{"repositories": ["infra"]}]
    assert emulator.tokens[run.main.outputs["token"]].revoked


def test_unknown_installation_id(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"installation-id": "99999"})
    assert_failed_cleanly(run.main, "Installation 99999 from 'installation-id' does not exist")
    run = run_job({"installation-id": "12ab"})
    assert_failed_cleanly(run.main, "'installation-id' must be the installation's numeric ID")


# --- outputs beyond the official action ---------------------------------------------------
def test_bot_identity(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"bot-identity": "true"})
    assert run.main.exit_code == 0, run.main.log
    outputs = run.main.outputs
    assert outputs["bot-name"] == "token-minter[bot]"
    assert outputs["bot-user-id"] == "4242007"
    assert outputs["bot-email"] == "4242007+token-minter[bot]@users.noreply.github.com"
    lookup = [e for e in emulator.exchanges if e.operation == "/users/{username}"]
    assert len(lookup) == 1 and lookup[0].path == "/users/token-minter%5Bbot%5D"
    assert lookup[0].headers["Authorization"] == f"Bearer {outputs['token']}"  # with the new token


def test_failed_bot_lookup_is_a_warning(run_job: RunJob, emulator: GitHubEmulator) -> None:
    emulator.inject(Fault(method="GET", path="/users/.*", status=404, body={"message": "Not Found"}))
    run = run_job({"bot-identity": "true"})
    assert run.main.exit_code == 0
    assert len(run.main.warnings) == 1 and "HTTP 404: Not Found" in run.main.warnings[0]
    assert run.main.outputs["bot-name"] == "token-minter[bot]"
    assert run.main.outputs["bot-user-id"] == "" and run.main.outputs["bot-email"] == ""


def test_bot_identity_without_slug_is_a_warning(run_job: RunJob, emulator: GitHubEmulator) -> None:
    org = next(i for i in emulator.installations.values() if i.account.login == "octo-org")
    run = run_job({"bot-identity": "true", "installation-id": str(org.id)})
    assert run.main.exit_code == 0 and "slug is unknown" in run.main.warnings[0]
    assert run.main.outputs["bot-name"] == ""


def test_permissions_and_repositories_outputs(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"repositories": "infra,app", "permission-issues": "read"})
    assert json.loads(run.main.outputs["permissions"]) == {"issues": "read"}
    assert sorted(json.loads(run.main.outputs["repositories"])) == ["app", "infra"]
    run = run_job({"owner": "octocat"})
    assert json.loads(run.main.outputs["repositories"]) == []


def test_enterprise_installation(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"enterprise": "octo-enterprise"})
    assert run.main.exit_code == 0, run.main.log
    assert lookups(emulator) == ["/enterprises/octo-enterprise/installation"]
    assert create_bodies(emulator) == [None]
    assert json.loads(run.main.outputs["permissions"]) == {"organization_administration": "read"}


@pytest.mark.parametrize("other", [{"owner": "octo-org"}, {"repositories": "app"}])
def test_enterprise_with_owner_or_repositories_is_refused(
    run_job: RunJob, emulator: GitHubEmulator, other: dict[str, str]
) -> None:
    run = run_job({"enterprise": "octo-enterprise", **other})
    assert_failed_cleanly(run.main, "'enterprise' cannot be combined with 'owner' or 'repositories'")
    assert emulator.exchanges == []


def test_step_summary(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job({"repositories": "app,infra", "permission-contents": "read"})
    summary = run.main.summary
    assert summary.startswith("### GitHub App installation token")
    assert "| App | `token-minter` |" in summary
    assert "| Repositories | app, infra |" in summary or "| Repositories | infra, app |" in summary
    assert "| Permissions | contents=read |" in summary
    assert run.main.outputs["expires-at"] in summary
    assert run.main.outputs["token"] not in summary


def test_failure_after_creation_revokes_the_token(run_job: RunJob, emulator: GitHubEmulator, tmp_path: Path) -> None:
    unwritable = tmp_path / "a-directory"
    unwritable.mkdir()
    run = run_job(env={"GITHUB_OUTPUT": str(unwritable)}, post=False)
    assert_failed_cleanly(run.main, "Could not write the step's outputs to the file named by GITHUB_OUTPUT")
    token = only_token(emulator)
    assert emulator.tokens[token].revoked
    assert "the token was revoked at once" in run.main.stdout
    assert run.main.token_masks() == [token]


def test_inputs_repr_hides_the_key(app_key_pem: str) -> None:
    from github_app_token.inputs import parse_main_inputs

    parsed = parse_main_inputs({"INPUT_APP-ID": "1", "INPUT_PRIVATE-KEY": app_key_pem, "GITHUB_REPOSITORY": "o/r"})
    assert "PRIVATE" not in repr(parsed) and app_key_pem.splitlines()[1] not in repr(parsed)
