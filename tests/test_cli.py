"""The github-app-token command (installed from the project with pip) against the emulator."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import jwt as pyjwt
import pytest

from tests.github_emulator import App, GitHubEmulator
from tests.runner_harness import key_fragments

COMMAND = shutil.which("github-app-token") or str(Path(sys.executable).parent / "github-app-token")


def cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [COMMAND, *args],
        env={**base, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def as_app(
    command: str, app: App, key_file: str, api_url: str, *options: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``github-app-token COMMAND`` as the app (client ID, key from a file) against ``api_url``."""
    return cli(
        command,
        "--client-id",
        app.client_id,
        "--private-key-file",
        key_file,
        "--api-url",
        api_url,
        *options,
        stdin=stdin,
    )


@pytest.fixture
def key_file(tmp_path: Path, app_key_pem: str) -> str:
    path = tmp_path / "app.pem"
    path.write_text(app_key_pem)
    return str(path)


def assert_quiet_about_secrets(result: subprocess.CompletedProcess[str], app_key_pem: str, token: str = "") -> None:
    for fragment in key_fragments(app_key_pem):
        assert fragment not in result.stdout + result.stderr
    if token:
        assert token not in result.stderr


@pytest.mark.parametrize("command", [[], ["create"], ["revoke"], ["installations"]])
def test_help_documents_every_option(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.returncode == 0
    assert "exit codes: 0 success, 2 bad input, 3 GitHub refused the request, 4 GitHub unreachable" in result.stdout
    if command == ["create"]:
        for option in (
            "--client-id",
            "--app-id",
            "--private-key-file",
            "--private-key-env",
            "--owner",
            "--repositories",
            "--permission",
            "--installation-id",
            "--enterprise",
            "--api-url",
            "--ca-bundle",
            "--json",
        ):
            assert option in result.stdout


def test_create_prints_only_the_token(emulator: GitHubEmulator, app: App, key_file: str, app_key_pem: str) -> None:
    result = cli(
        "create",
        "--app-id",
        str(app.id),
        "--private-key-file",
        key_file,
        "--owner",
        "octo-org",
        "--repositories",
        "app",
        "--permission",
        "contents=read",
        "--api-url",
        emulator.url,
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert emulator.tokens[token].permissions == {"contents": "read"}
    assert emulator.tokens[token].repositories == ["app"]
    assert_quiet_about_secrets(result, app_key_pem, token)


def test_create_json_with_key_from_environment(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    result = cli(
        "create",
        "--client-id",
        app.client_id,
        "--owner",
        "octocat",
        "--json",
        "--permission",
        "metadata=read",
        env={"GITHUB_APP_PRIVATE_KEY": app_key_pem, "GITHUB_API_URL": emulator.url},
    )
    assert result.returncode == 0, result.stderr
    details = json.loads(result.stdout)
    assert set(details) == {"token", "expires_at", "installation_id", "app_slug", "permissions", "repositories"}
    assert details["app_slug"] == "token-minter" and details["permissions"] == {"metadata": "read"}
    assert details["token"] in emulator.tokens


def test_create_with_key_on_standard_input(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    result = as_app("create", app, "-", emulator.url, "--owner", "octocat", stdin=app_key_pem)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in emulator.tokens


def test_input_errors_exit_2(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    result = cli("create", "--client-id", app.client_id, "--owner", "octocat", "--api-url", emulator.url)
    assert result.returncode == 2 and result.stderr.startswith("error: No private key")  # none given
    result = as_app("create", app, key_file, emulator.url, "--owner", "octocat", "--permission", "contents=root")
    assert result.returncode == 2 and "'permission-contents' must be one of: read, write" in result.stderr
    result = as_app("create", app, key_file, emulator.url)
    assert result.returncode == 2 and "GITHUB_REPOSITORY is not set" in result.stderr
    assert emulator.exchanges == []
    assert cli("create", "--bogus").returncode == 2  # argparse's usage error


def test_github_refusal_exits_3(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    result = as_app("create", app, key_file, emulator.url, "--repositories", "secret", "--owner", "stranger-org")
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "not installed on the repository 'stranger-org/secret'" in result.stderr


def test_unreachable_github_exits_4(app: App, key_file: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = as_app("create", app, key_file, f"http://127.0.0.1:{port}", "--owner", "octocat")
    assert result.returncode == 4 and "Could not reach GitHub" in result.stderr


def test_revoke(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    token = as_app("create", app, key_file, emulator.url, "--owner", "octocat").stdout.strip()
    result = cli("revoke", "--api-url", emulator.url, env={"GITHUB_APP_TOKEN": token})
    assert result.returncode == 0 and result.stdout == "revoked\n"
    assert emulator.tokens[token].revoked
    again = cli("revoke", "--api-url", emulator.url, stdin=token + "\n")
    assert again.returncode == 3 and "HTTP 401: Bad credentials" in again.stderr
    assert token not in again.stderr


def test_a_netrc_in_home_never_replaces_our_credentials(
    emulator: GitHubEmulator, app: App, key_file: str, tmp_path: Path
) -> None:
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login ci-user password not-our-credential\n")
    (tmp_path / ".netrc").chmod(0o600)
    home = {"HOME": str(tmp_path), "GITHUB_APP_PRIVATE_KEY": Path(key_file).read_text()}
    created = cli("create", "--client-id", app.client_id, "--owner", "octocat", "--api-url", emulator.url, env=home)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    revoked = cli("revoke", "--api-url", emulator.url, env={**home, "GITHUB_APP_TOKEN": token})
    assert revoked.returncode == 0, revoked.stderr
    assert emulator.tokens[token].revoked
    sent = [e.headers.get("Authorization", "") for e in emulator.exchanges]
    assert len(sent) == 3 and all(value.startswith("Bearer ") for value in sent)


def test_installations(emulator: GitHubEmulator, app: App, key_file: str, app_key_pem: str) -> None:
    result = as_app("installations", app, key_file, emulator.url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "ACCOUNT", "TYPE", "REPOSITORIES"]
    rows = {line.split()[1]: line.split() for line in lines[1:]}
    assert rows["octo-org"][2:] == ["Organization", "selected"]
    assert rows["octocat"][2:] == ["User", "all"]
    assert rows["octo-enterprise"][2] == "Enterprise"
    as_json = json.loads(as_app("installations", app, key_file, emulator.url, "--json").stdout)
    assert {item["account_login"] for item in as_json} == {"octo-org", "octocat", "octo-enterprise"}
    assert_quiet_about_secrets(result, app_key_pem)


def test_readme_shows_the_real_help() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    shown = readme.split("$ github-app-token --help\n", 1)[1].split("```", 1)[0]
    assert cli("--help", env={"COLUMNS": "100"}).stdout == shown


# --- several owners, repository IDs, app JWTs (the action's issue-11 modes) ---------------------------
def test_create_for_several_owners(emulator: GitHubEmulator, app: App, key_file: str, app_key_pem: str) -> None:
    result = as_app("create", app, key_file, emulator.url, "--owner", "octo-org", "--owner", "octocat")
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [owner for owner, _ in lines] == ["octo-org", "octocat"]
    assert {token for _, token in lines} == set(emulator.tokens)
    as_json = json.loads(as_app("create", app, key_file, emulator.url, "--owner", "octo-org,octocat", "--json").stdout)
    assert set(as_json) == {"tokens", "installations"}
    assert list(as_json["tokens"]) == ["octo-org", "octocat"]
    assert as_json["installations"]["octocat"]["repositories"] == []
    assert_quiet_about_secrets(result, app_key_pem)


def test_create_is_all_or_nothing(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    result = as_app("create", app, key_file, emulator.url, "--owner", "octo-org", "--owner", "stranger-org")
    assert result.returncode == 3 and result.stdout == ""
    assert "'stranger-org': The GitHub App is not installed" in result.stderr
    assert len(emulator.tokens) == 1 and all(issued.revoked for issued in emulator.tokens.values())


def test_create_with_repository_ids(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    blog = emulator.repositories[("octocat", "blog")].id
    result = as_app("create", app, key_file, emulator.url, "--owner", "octocat", "--repository-ids", str(blog))
    assert result.returncode == 0, result.stderr
    assert emulator.tokens[result.stdout.strip()].repositories == ["blog"]


def app_jwt(app: App, key_pem: str, lifetime: int = 300) -> str:
    from github_app_token.private_key import load_private_key

    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + lifetime, "iss": app.client_id}
    return str(pyjwt.encode(claims, load_private_key(key_pem), algorithm="RS256"))


@pytest.mark.parametrize("source", ["file", "stdin", "env"])
def test_create_with_an_app_jwt_signed_elsewhere(
    emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path, source: str
) -> None:
    given = app_jwt(app, app_key_pem)
    (tmp_path / "app.jwt").write_text(given + "\n")
    options = {
        "file": ["--app-jwt-file", str(tmp_path / "app.jwt")],
        "stdin": ["--app-jwt-file", "-"],
        "env": ["--app-jwt-env", "SIGNED_JWT"],
    }[source]
    result = cli(
        "create", *options, "--owner", "octocat", "--api-url", emulator.url, env={"SIGNED_JWT": given}, stdin=given
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in emulator.tokens
    assert given not in result.stdout + result.stderr
    assert {e.headers["Authorization"] for e in emulator.exchanges} == {f"Bearer {given}"}


def test_an_expired_app_jwt_exits_2_before_any_request(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    given = app_jwt(app, app_key_pem, lifetime=-10)
    result = cli(
        "create",
        "--app-jwt-env",
        "SIGNED_JWT",
        "--owner",
        "octocat",
        "--api-url",
        emulator.url,
        env={"SIGNED_JWT": given},
    )
    assert result.returncode == 2 and "'app-jwt' expired at" in result.stderr
    assert emulator.exchanges == [] and given not in result.stderr


def test_revoke_several_tokens_from_standard_input(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    created = as_app("create", app, key_file, emulator.url, "--owner", "octo-org,octocat")
    tokens = [line.split("\t")[1] for line in created.stdout.splitlines()]
    result = cli("revoke", "--api-url", emulator.url, stdin="\n".join(tokens) + "\n")
    assert result.returncode == 0 and result.stdout == "revoked\nrevoked\n"
    assert all(emulator.tokens[token].revoked for token in tokens)
