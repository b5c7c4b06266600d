"""The github-app-token command (installed from the project with pip) against the emulator."""

from __future__ import annotations

import contextlib
import io
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

from tests.coverage_env import coverage_env
from tests.github_emulator import App, GitHubEmulator
from tests.runner_harness import key_fragments

COMMAND = shutil.which("github-app-token") or str(Path(sys.executable).parent / "github-app-token")
#: ``create --json``: one shape whatever the number of owners (the first owner's, then all by owner).
JSON_KEYS = {
    "token",
    "expires_at",
    "installation_id",
    "app_slug",
    "permissions",
    "repositories",
    "tokens",
    "installations",
}


def in_process(argv: list[str], stdin: str = "", environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``github-app-token ARGV`` run in this process: (exit code, standard output, standard error)."""
    from github_app_token.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):  # argparse's usage errors go to sys.stderr, then SystemExit
        try:
            code = main(argv, environ=environ or {}, stdin=io.StringIO(stdin), stdout=out, stderr=err)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **coverage_env()}
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
    assert set(details) == JSON_KEYS
    assert details["app_slug"] == "token-minter" and details["permissions"] == {"metadata": "read"}
    assert details["token"] in emulator.tokens and details["tokens"] == {"octocat": details["token"]}


def test_create_with_key_on_standard_input(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    result = as_app("create", app, "-", emulator.url, "--owner", "octocat", stdin=app_key_pem)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in emulator.tokens


def test_input_errors_exit_2(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    result = cli("create", "--client-id", app.client_id, "--owner", "octocat", "--api-url", emulator.url)
    assert result.returncode == 2 and result.stderr.startswith("error: No private key")  # none given
    result = as_app("create", app, key_file, emulator.url, "--owner", "octocat", "--permission", "contents=root")
    assert result.returncode == 2 and "--permission contents=… must be one of: read, write" in result.stderr
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
    named = {"GITHUB_APP_TOKEN": token}
    result = cli("revoke", "--token-env", "GITHUB_APP_TOKEN", "--api-url", emulator.url, env=named)
    assert result.returncode == 0 and result.stdout == "revoked\n", result.stderr
    assert emulator.tokens[token].revoked
    again = cli("revoke", "--api-url", emulator.url, stdin=token + "\n")  # GitHub answers 401: nothing left valid
    assert again.returncode == 0 and again.stdout == "already revoked or expired\n"
    assert token not in again.stderr + again.stdout


def test_a_netrc_in_home_never_replaces_our_credentials(
    emulator: GitHubEmulator, app: App, key_file: str, tmp_path: Path
) -> None:
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login ci-user password not-our-credential\n")
    (tmp_path / ".netrc").chmod(0o600)
    home = {"HOME": str(tmp_path), "GITHUB_APP_PRIVATE_KEY": Path(key_file).read_text()}
    created = cli("create", "--client-id", app.client_id, "--owner", "octocat", "--api-url", emulator.url, env=home)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    revoked = cli("revoke", "--api-url", emulator.url, env=home, stdin=token)
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
    assert set(as_json) == JSON_KEYS  # the same shape as for one owner: jq .token keeps working
    assert list(as_json["tokens"]) == ["octo-org", "octocat"] and as_json["token"] == as_json["tokens"]["octo-org"]
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
    assert result.returncode == 2 and "SIGNED_JWT (--app-jwt-env) expired at" in result.stderr
    assert emulator.exchanges == [] and given not in result.stderr


def test_revoke_several_tokens_from_standard_input(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    created = as_app("create", app, key_file, emulator.url, "--owner", "octo-org,octocat")
    tokens = [line.split("\t")[1] for line in created.stdout.splitlines()]
    result = cli("revoke", "--api-url", emulator.url, stdin="\n".join(tokens) + "\n")
    assert result.returncode == 0 and result.stdout == "revoked\nrevoked\n"
    assert all(emulator.tokens[token].revoked for token in tokens)


# --- the CLI speaks its own language ------------------------------------------------------------
#: How the action names its inputs in messages: a CLI message must never read like this.
ACTION_WORDS = (
    "'client-id'",
    "'app-id'",
    "'private-key'",
    "'app-jwt'",
    "'owner'",
    "'repositories'",
    "'repository-ids'",
    "'installation-id'",
    "'enterprise'",
    "'github-api-url'",
    "'ca-bundle'",
    "'permission-",
    "permission-* inputs",
    "${{",
)


def public_key_pem(app: App) -> str:
    from cryptography.hazmat.primitives import serialization

    return (
        app.private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize(
    ("options", "env", "expected"),
    [
        (["--permission", "contents=writ"], {}, "--permission contents=… must be one of: read, write; it is 'writ'."),
        (["--permission", "contens=read"], {}, "Did you mean --permission contents=…"),
        (["--client-id", "bad id"], {}, "--client-id must be the app's client ID"),
        (["--app-id", "Iv23liAbc"], {}, "It looks like a client ID: pass it as --client-id."),
        (["--api-url", "http://127.0.0.1.nip.io"], {}, "--api-url is not usable (plain http is only allowed"),
        (["--owner", "bad owner!"], {}, "'bad owner!' from --owner is not a valid GitHub user or organization name"),
        (["--repositories", "a/b/c"], {}, "from --repositories is not a valid"),
        (["--installation-id", "12x"], {}, "--installation-id must be the installation's numeric ID"),
        (["--repository-ids", "abc"], {}, "--repository-ids must hold repository IDs"),
        (["--enterprise", "acme"], {}, "--enterprise cannot be combined with --owner or --repositories"),
        (["--ca-bundle", "missing.pem"], {}, "--ca-bundle names 'missing.pem', which is not a file. Give the path"),
        (
            [],
            {"GITHUB_APP_PRIVATE_KEY": "/home/me/keys/app.2026-01-01.private-key.pem"},
            "GITHUB_APP_PRIVATE_KEY (--private-key-env) holds a file path ('/home/me/keys/app.2026-01-01.private-key"
            ".pem'), not the key itself: pass the file with --private-key-file PATH instead.",
        ),
        ([], {"GITHUB_APP_PRIVATE_KEY": "app.pem"}, "holds a file path ('app.pem')"),
        ([], {"GITHUB_APP_PRIVATE_KEY": "PUBLIC"}, "GITHUB_APP_PRIVATE_KEY (--private-key-env) holds a public key"),
        ([], {"GITHUB_APP_PRIVATE_KEY": "not a key"}, "GITHUB_APP_PRIVATE_KEY (--private-key-env) is not a PEM"),
    ],
)
def test_every_cli_error_names_the_option_typed(
    emulator: GitHubEmulator, app: App, app_key_pem: str, options: list[str], env: dict[str, str], expected: str
) -> None:
    given = {"GITHUB_APP_PRIVATE_KEY": app_key_pem, **env}
    if given["GITHUB_APP_PRIVATE_KEY"] == "PUBLIC":
        given["GITHUB_APP_PRIVATE_KEY"] = public_key_pem(app)
    scope = [] if "--enterprise" in options else ["--owner", "octocat"]
    if "--repositories" in options:
        scope = []
    if "--enterprise" in options:
        scope = ["--owner", "octocat"]
    issuer = [] if {"--client-id", "--app-id"} & set(options) else ["--client-id", app.client_id]
    api = [] if "--api-url" in options else ["--api-url", emulator.url]
    result = cli("create", *issuer, *scope, *options, *api, env=given)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    for words in ACTION_WORDS:
        assert words not in result.stderr, f"{words} in: {result.stderr}"
    assert emulator.exchanges == []  # refused before any request
    assert_quiet_about_secrets(result, app_key_pem)


def test_cli_errors_from_github_name_the_options(emulator: GitHubEmulator, app: App, tmp_path: Path) -> None:
    """A key of another app: the 401 explanation speaks of --client-id and where the key came from."""
    from tests.github_emulator import generate_private_key, pem_pkcs1

    other = tmp_path / "other.pem"
    other.write_text(pem_pkcs1(generate_private_key()))
    result = as_app("create", app, str(other), emulator.url, "--owner", "octocat")
    assert result.returncode == 3
    assert f"Check that --client-id ({app.client_id}) and the key from --private-key-file ('{other}')" in result.stderr
    assert not any(words in result.stderr for words in ACTION_WORDS), result.stderr
    missing = cli("create", "--client-id", app.client_id, "--private-key-file", str(other), "--api-url", emulator.url)
    assert "Set --owner and/or --repositories" in missing.stderr and "GitHub Actions only" in missing.stderr


def test_two_credential_sources_are_refused(app: App, key_file: str, tmp_path: Path) -> None:
    (tmp_path / "app.jwt").write_text("x.y.z")
    result = cli("create", "--private-key-file", key_file, "--app-jwt-file", str(tmp_path / "app.jwt"))
    assert result.returncode == 2 and "Both --app-jwt-file and --private-key-file are given" in result.stderr


def test_repositories_repeated_accumulate(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    result = as_app(
        "create", app, key_file, emulator.url, "--owner", "octo-org", "--repositories", "app", "--repositories", "infra"
    )
    assert result.returncode == 0, result.stderr
    assert emulator.tokens[result.stdout.strip()].repositories == ["app", "infra"]


def test_bot_identity_in_json(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    result = as_app("create", app, key_file, emulator.url, "--owner", "octocat", "--json", "--bot-identity")
    assert result.returncode == 0, result.stderr
    details = json.loads(result.stdout)
    assert set(details) == JSON_KEYS | {"bot_name", "bot_user_id", "bot_email"}
    assert details["bot_name"] == "token-minter[bot]"
    assert details["bot_email"] == f"{details['bot_user_id']}+token-minter[bot]@users.noreply.github.com"


# --- revoke: one source, every format create prints, every line tried ------------------------------------
def test_revoke_reads_what_create_prints_for_several_owners(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    created = as_app("create", app, key_file, emulator.url, "--owner", "octo-org", "--owner", "octocat")
    result = cli("revoke", "--api-url", emulator.url, stdin=created.stdout)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "octo-org\trevoked\noctocat\trevoked\n"
    assert all(issued.revoked for issued in emulator.tokens.values())


@pytest.mark.parametrize("shape", ["tokens output", "create --json"])
def test_revoke_reads_the_tokens_json(emulator: GitHubEmulator, app: App, key_file: str, shape: str) -> None:
    created = json.loads(as_app("create", app, key_file, emulator.url, "--owner", "octo-org,octocat", "--json").stdout)
    given = json.dumps(created["tokens"] if shape == "tokens output" else created)
    result = cli("revoke", "--token-env", "APP_TOKENS", "--api-url", emulator.url, env={"APP_TOKENS": given})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "octo-org\trevoked\noctocat\trevoked\n"
    assert all(issued.revoked for issued in emulator.tokens.values())


def test_revoke_names_the_line_that_failed_and_revokes_the_rest(
    emulator: GitHubEmulator, app: App, key_file: str
) -> None:
    from tests.github_emulator import Fault

    created = as_app("create", app, key_file, emulator.url, "--owner", "octo-org", "--owner", "octocat")
    emulator.inject(Fault(method="DELETE", status=403, times=1, body={"message": "Forbidden by a proxy"}))
    result = cli("revoke", "--api-url", emulator.url, stdin=created.stdout)
    assert result.returncode == 3
    first, second = result.stderr.splitlines()
    assert first.startswith("error: line 1 (owner 'octo-org'): GitHub answered DELETE /installation/token with")
    assert second.startswith("error: 1 of 2 token(s) could not be revoked")
    assert result.stdout == "octocat\trevoked\n"
    tokens = dict(line.split("\t") for line in created.stdout.splitlines())
    assert not emulator.tokens[tokens["octo-org"]].revoked and emulator.tokens[tokens["octocat"]].revoked
    assert not any(token in result.stderr + result.stdout for token in tokens.values())


def test_piped_tokens_are_never_ignored_for_a_variable(emulator: GitHubEmulator, app: App, key_file: str) -> None:
    """GITHUB_APP_TOKEN set and a token piped: the piped one is revoked (the variable is read only when named)."""
    first = as_app("create", app, key_file, emulator.url, "--owner", "octocat").stdout.strip()
    second = as_app("create", app, key_file, emulator.url, "--owner", "octocat").stdout.strip()
    result = cli("revoke", "--api-url", emulator.url, env={"GITHUB_APP_TOKEN": first}, stdin=second + "\n")
    assert result.returncode == 0 and emulator.tokens[second].revoked and not emulator.tokens[first].revoked
    both = cli("revoke", "-", "--token-env", "GITHUB_APP_TOKEN", env={"GITHUB_APP_TOKEN": first}, stdin=second)
    assert both.returncode == 2 and "give one, so that no token offered is left out" in both.stderr
    nothing = cli("revoke", "--api-url", emulator.url, env={"GITHUB_APP_TOKEN": first})
    assert nothing.returncode == 2 and "add --token-env GITHUB_APP_TOKEN" in nothing.stderr
    assert not emulator.tokens[first].revoked


def test_revoke_refuses_what_is_no_token(emulator: GitHubEmulator) -> None:
    """A script fed on standard input (as GitLab's runner feeds its shell) is not a list of tokens."""
    result = cli("revoke", "--api-url", emulator.url, stdin="echo hello\ngit push origin main\n")
    assert result.returncode == 2 and "Line 1 of standard input is not a token" in result.stderr
    assert emulator.exchanges == []


def test_revoke_help_shows_only_what_applies() -> None:
    shown = cli("revoke", "--help").stdout
    assert "--token-env" in shown and "--api-url" in shown
    assert "--private-key" not in shown and "--client-id" not in shown
