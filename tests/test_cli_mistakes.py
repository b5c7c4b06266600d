"""The command line used carelessly: secrets given in the wrong place, empty files, a terminal for
standard input, options that do nothing alone. Each answer is one line in the CLI's words, quotes
no secret, and sends no request it does not need.
"""

from __future__ import annotations

import base64
import os
import pty
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import jwt as pyjwt
import pytest

from tests.github_emulator import App, GitHubEmulator
from tests.runner_harness import key_fragments, secret_forms
from tests.test_cli import COMMAND, as_app, cli, in_process


@pytest.fixture
def key_file(tmp_path: Path, app_key_pem: str) -> str:
    path = tmp_path / "app.pem"
    path.write_text(app_key_pem)
    return str(path)


def one_line_without(result: subprocess.CompletedProcess[str], *secrets: str) -> str:
    """The one error line of a refused command (exit 2), which shows none of ``secrets``' forms."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 or lines[0].startswith("usage:"), result.stderr
    for secret in secrets:
        for form in secret_forms(secret):
            assert form not in result.stderr
    return lines[-1]


def key_secrets(pem: str) -> list[str]:
    return [fragment for fragment in key_fragments(pem) if len(fragment) >= 16]


# --- secrets given where a path or a name goes ----------------------------------------------------------------
@pytest.mark.parametrize("form", ["pem", "base64"])
def test_the_key_given_as_a_path_is_not_echoed(app: App, app_key_pem: str, emulator: GitHubEmulator, form: str) -> None:
    """``--private-key-file "$(cat app.pem)"`` printed the whole key inside "Cannot read ..."."""
    key = app_key_pem if form == "pem" else base64.b64encode(app_key_pem.encode()).decode()
    result = cli("create", "--client-id", app.client_id, "--private-key-file", key, "--api-url", emulator.url)
    line = one_line_without(result, *key_secrets(app_key_pem))
    assert "--private-key-file takes a path, and what was given looks like the secret itself" in line
    assert "--private-key-file -" in line and emulator.exchanges == []


def test_a_jwt_given_as_a_path_is_not_echoed(app: App, app_key_pem: str, emulator: GitHubEmulator) -> None:
    app_jwt = pyjwt.encode({"iss": app.client_id, "iat": 1, "exp": 2}, app_key_pem, algorithm="RS256")
    result = cli("create", "--app-jwt-file", app_jwt, "--api-url", emulator.url)
    line = one_line_without(result, app_jwt)
    assert "--app-jwt-file takes a path" in line and "--app-jwt-file -" in line


@pytest.mark.parametrize("option", ["--private-key-env", "--app-jwt-env"])
def test_a_secret_given_as_a_variable_name_is_not_echoed(app: App, app_key_pem: str, option: str) -> None:
    body = "".join(app_key_pem.strip().splitlines()[1:-1])
    for value in (app_key_pem, body[:70].replace("+", "A").replace("/", "B")):  # the second is name-shaped
        result = cli("create", "--client-id", app.client_id, option, value)
        line = one_line_without(result, *key_secrets(app_key_pem), value)
        assert f"argument {option}: takes the name of an environment variable" in line


def test_a_token_given_to_revoke_as_an_argument_is_not_echoed(emulator: GitHubEmulator) -> None:
    """argparse's "invalid choice: 'ghs_...'" printed the whole token."""
    token = "ghs_4242_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MjQyIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    result = cli("revoke", token, "--api-url", emulator.url)
    line = one_line_without(result, token)
    assert "revoke takes no token as an argument" in line and "| github-app-token revoke" in line


def test_a_stray_secret_argument_is_not_echoed_by_argparse(app: App, app_key_pem: str) -> None:
    """Any "unrecognized arguments" answer: the key pasted without its option."""
    token = "ghs_4242_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MjQyIn0.c2lnbmF0dXJl"
    result = cli("create", "--client-id", app.client_id, token, app_key_pem)
    assert result.returncode == 2
    for secret in [token, *key_secrets(app_key_pem)]:
        assert secret not in result.stderr
    assert "unrecognized arguments" in result.stderr and "not shown" in result.stderr


# --- empty sources, named as typed ------------------------------------------------------------------------------
@pytest.mark.parametrize("via_stdin", [False, True])
def test_an_empty_key_file_is_named_as_the_cli_option(
    app: App, emulator: GitHubEmulator, tmp_path: Path, via_stdin: bool
) -> None:
    """It got the action's "'private-key' is empty. Pass ... ${{ secrets.APP_PRIVATE_KEY }}"."""
    empty = tmp_path / "empty.pem"
    empty.write_text("\n")
    source = "-" if via_stdin else str(empty)
    result = cli("create", "--client-id", app.client_id, "--private-key-file", source, "--api-url", emulator.url)
    line = one_line_without(result)
    shown = "standard input" if via_stdin else f"'{empty}'"
    assert f"The key from --private-key-file ({shown}) is empty" in line
    assert "private-key:" not in line and "secrets." not in line and emulator.exchanges == []


def test_an_empty_jwt_file_is_named(emulator: GitHubEmulator, tmp_path: Path) -> None:
    """It said "Neither --client-id nor --app-id is set", though a JWT needs no ID."""
    empty = tmp_path / "app.jwt"
    empty.write_text("")
    line = one_line_without(cli("create", "--app-jwt-file", str(empty), "--api-url", emulator.url))
    assert f"The app JWT from --app-jwt-file ('{empty}') is empty" in line


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({}, "GITHUB_APP_PRIVATE_KEY (--private-key-env) is not set."),
        ({"GITHUB_APP_PRIVATE_KEY": ""}, "GITHUB_APP_PRIVATE_KEY (--private-key-env) is set but empty."),
        (
            {"GITHUB_APP_PRIVATE_KEY": " ", "GITHUB_ACTIONS": "true"},
            "is set but empty: in GitHub Actions that is a secret this repository (or environment) does not have",
        ),
    ],
)
def test_a_missing_key_says_whether_the_variable_is_unset_or_empty(app: App, env: dict[str, str], why: str) -> None:
    line = one_line_without(cli("create", "--client-id", app.client_id, env=env))
    assert why in line


# --- standard input that is a terminal -------------------------------------------------------------------------
@pytest.fixture
def terminal() -> Iterator[int]:
    """The slave side of a pseudo-terminal, for a command's standard input."""
    main_fd, slave_fd = pty.openpty()
    yield slave_fd
    os.close(slave_fd)
    os.close(main_fd)


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["revoke"], "revoke reads standard input, which is a terminal here"),
        (["create", "--client-id", "Iv23liX", "--private-key-file", "-"], "--private-key-file - reads standard input"),
    ],
)
def test_standard_input_on_a_terminal_is_refused_not_waited_on(terminal: int, args: list[str], what: str) -> None:
    """Ctrl-C and SIGTERM were ignored while it sat there (the signal handlers were in place), and
    only Ctrl-D ended it; a hang here ends in the timeout below, a failure."""
    result = subprocess.run(
        [COMMAND, *args], stdin=terminal, capture_output=True, text=True, timeout=60, check=False, env=os.environ.copy()
    )
    assert result.returncode == 2 and what in result.stderr, result.stderr


# --- options that need another -------------------------------------------------------------------------------------
def test_bot_identity_alone_is_refused_before_any_request(app: App, key_file: str, emulator: GitHubEmulator) -> None:
    """It made the bot user lookup and then printed only the token."""
    result = as_app("create", app, key_file, emulator.url, "--owner", "octo-org", "--bot-identity")
    line = one_line_without(result)
    assert "--bot-identity adds bot_name, bot_user_id and bot_email to what --json prints" in line
    assert emulator.exchanges == []


@pytest.mark.parametrize(
    ("permission", "said"),
    [
        ("permission-contents=read", "Did you mean --permission contents=…?"),
        ("permissions_issues=write", "Did you mean --permission issues=…?"),
        (
            "issues=write,contents=read",
            "repeat it for each permission: --permission issues=write --permission contents=read",
        ),
    ],
)
def test_a_permission_typed_the_actions_way_is_explained(
    app: App, key_file: str, emulator: GitHubEmulator, permission: str, said: str
) -> None:
    result = as_app("create", app, key_file, emulator.url, "--owner", "octo-org", "--permission", permission)
    assert said in one_line_without(result) and emulator.exchanges == []


def test_revoke_refuses_json_that_holds_no_tokens_object(emulator: GitHubEmulator) -> None:
    """``[1,2]`` was sent to GitHub as a token ("already revoked or expired", exit 0)."""
    result = cli("revoke", "--api-url", emulator.url, stdin="[1,2]\n")
    assert "Line 1 of standard input is not a token" in one_line_without(result)
    assert emulator.exchanges == []


# --- create --github-output: every error is the step's one ::error:: line --------------------------------------
def test_github_output_reports_option_errors_as_the_steps_error(app: App, tmp_path: Path) -> None:
    """ "No private key" came out as a plain "error:" line: no ::error::, no step summary."""
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_APP_PRIVATE_KEY": "",
    }
    result = cli("create", "--github-output", "--client-id", app.client_id, env=env)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error::")]
    assert len(errors) == 1 and "secret this repository (or environment) does not have" in errors[0]
    assert "secret this repository" in summary.read_text()
    assert not output.exists() or output.read_text() == ""


def test_github_output_outside_actions_says_so_in_cli_words(app: App, key_file: str) -> None:
    result = cli("create", "--github-output", "--client-id", app.client_id, "--private-key-file", key_file)
    assert result.returncode == 2
    assert "--github-output writes the outputs to the file named by GITHUB_OUTPUT" in result.stdout
    assert "This action must run as a step" not in result.stdout + result.stderr


# --- a plain-http server given as https ------------------------------------------------------------------------
@pytest.fixture
def plain_http_port() -> Iterator[int]:
    """A server that answers anything with a plain HTTP response (as an http server does to a TLS hello)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def test_https_to_a_plain_http_server_is_not_called_a_certificate_problem(
    app: App, key_file: str, plain_http_port: int
) -> None:
    result = as_app("create", app, key_file, f"https://127.0.0.1:{plain_http_port}", "--owner", "octo-org")
    assert result.returncode == 4, result.stderr
    assert "does not speak TLS there (is it plain http?" in result.stderr
    assert "certificate" not in result.stderr


def test_redact_leaves_no_piece_of_a_key_and_keeps_plain_words(app_key_pem: str) -> None:
    from github_app_token.redaction import NOT_SHOWN, redact

    body = "".join(app_key_pem.strip().splitlines()[1:-1])
    for text in (f"unrecognized arguments: {app_key_pem}", f"invalid choice: '{body}'", f"x {body} y"):
        out = redact(text)
        assert NOT_SHOWN in out and all(fragment not in out for fragment in key_secrets(app_key_pem))
    plain = "unrecognized arguments: /home/alice/" + "a" * 100 + "/key --ownr octo-org"
    assert redact(plain) == plain


# --- setup: a secret pasted into any of its options ---------------------------------------------------------
def random_text(length: int) -> str:
    import secrets
    import string

    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


#: Secrets a user could paste in the wrong option: a classic personal access token, a 2026-style
#: installation token (its JWT's payload and signature random here), a fine-grained token.
PASTED = {
    "classic token": "ghp_" + random_text(36),
    "stateless token": "ghs_4242_eyJhbGciOiJSUzI1NiJ9." + random_text(120) + "." + random_text(342),
    "fine-grained token": "github_pat_" + random_text(22) + "_" + random_text(59),
}


def no_piece_of(secret: str, text: str) -> bool:
    """Whether ``text`` holds no 12 characters of any of ``secret``'s random parts (those of more than 20
    characters between its ``_`` and ``.``: not its prefix, nor a URL around it)."""
    parts = [part for part in re.split(r"[._]", secret) if len(part) > 20]
    return all(part[i : i + 12] not in text for part in parts for i in range(len(part) - 11))


#: Each option of ``setup`` that takes a value checked before any request, with what else it needs.
SETUP_OPTIONS = {
    "--owner": [],
    "--repositories": [],
    "--permission": [],
    "--name": [],
    "--store": [],
    "--store-org": [],
    "--variable-name": [],
    "--secret-name": [],
    "--app-id": ["--existing", "--private-key-file", "app.pem"],
    "--client-id": ["--existing", "--private-key-file", "app.pem"],
    "--timeout": [],
    "--github-url": [],
    "--api-url": [],
}


@pytest.mark.parametrize("secret_kind", PASTED)
@pytest.mark.parametrize("option", SETUP_OPTIONS)
def test_a_secret_pasted_into_a_setup_option_is_refused_unseen(option: str, secret_kind: str) -> None:
    """Each refusal names the option; none quotes a piece of the secret (it quoted 30 or 80 characters)."""
    secret = PASTED[secret_kind]
    base = {"--owner": "octo-org", "--store": "octo-org/app"}
    argv = ["setup", *(w for flag, value in base.items() if flag != option for w in (flag, value))]
    if option == "--github-url" or option == "--api-url":
        secret = "https://ghe.example/?token=" + secret  # a URL copied with its token
    argv += [*SETUP_OPTIONS[option], option, secret]
    code, out, err = in_process(argv)
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1, err
    assert f"{option} holds what looks like a secret" in lines[0], lines[0]  # refused first, whatever it is
    assert no_piece_of(secret, lines[0]), f"{option} quoted a piece of the {secret_kind}: {lines[0]}"


# --- a secret where a name goes, in every command; and names, paths and URLs quoted as they are ------------
DEAD_API = "http://127.0.0.1:9"  # nothing listens: any request would fail (and be logged) at once


@pytest.mark.parametrize("secret_kind", ["classic token", "fine-grained token"])
@pytest.mark.parametrize(
    "argv",
    [
        ["create", "--owner", "{secret}", "--app-id", "1", "--private-key-file", "{key}", "--api-url", DEAD_API],
        ["create", "--owner", "o", "--repositories", "{secret}", "--app-id", "1", "--private-key-file", "{key}",
         "--api-url", DEAD_API],
        ["git-credential", "--owner", "{secret}", "--owner", "x", "--app-id", "1", "--private-key-file", "{key}",
         "--api-url", DEAD_API, "get"],
        ["setup", "--owner", "o", "--store", "o/r", "--description", "made by {secret}"],
    ],
    ids=["create owner", "create repositories", "git-credential owner", "setup description"],
)  # fmt: skip
def test_a_token_where_a_name_goes_is_refused_unseen_before_any_request(
    argv: list[str], secret_kind: str, key_file: str
) -> None:
    """A ``ghp_`` token passes for a login (EMU logins hold ``_``): it reached URLs, retry lines and warnings."""
    secret = PASTED[secret_kind]
    argv = [word.replace("{secret}", secret).replace("{key}", key_file) for word in argv]
    code, out, err = in_process(argv, stdin="protocol=http\nhost=127.0.0.1:9\n\n")
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert "not shown" in err and no_piece_of(secret, err), err


def test_create_github_output_refuses_a_token_as_owner_unseen_in_log_and_summary(tmp_path: Path, key_file: str) -> None:
    secret = PASTED["classic token"]
    env = {"GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    argv = ["create", "--github-output", "--owner", secret, "--owner", "other", "--repositories", "other/repo",
            "--app-id", "1", "--private-key-file", key_file, "--api-url", DEAD_API]  # fmt: skip
    code, out, err = in_process(argv, environ=env)
    summary = (tmp_path / "summary.md").read_text()
    assert code != 0 and "::error::" in out and "not shown" in out and "not shown" in summary
    assert all(no_piece_of(secret, text) for text in (out, err, summary))


@pytest.mark.parametrize(
    "text",
    ["{secret}\tmy-org\n", '{"{secret}": "my-org"}'],
    ids=["TOKEN<TAB>OWNER", "JSON keyed by the token"],
)
def test_revoke_refuses_a_token_where_the_owner_goes(text: str, emulator: GitHubEmulator) -> None:
    """Read the wrong way round, the owner's name was "revoked" (401: "already revoked", exit 0) and
    the token left valid, its text in the error lines."""
    secret = PASTED["classic token"]
    code, out, err = in_process(["revoke", "--api-url", emulator.url], stdin=text.replace("{secret}", secret))
    assert code == 2 and out == "" and "has a token where" in err and "OWNER<TAB>TOKEN" in err, err
    assert no_piece_of(secret, err) and emulator.exchanges == []


def test_an_argument_with_a_keys_line_breaks_is_not_quoted_by_argparse(app_key_pem: str) -> None:
    """argparse quotes repr(value): the base64 key's lines joined by a literal \\n, its last one short."""
    key64 = base64.encodebytes(app_key_pem.encode()).decode()
    code, _, err = in_process(["git-credential", key64])
    lines = [line for line in key64.splitlines() if len(line) >= 12]
    assert code == 2 and not any(line in err for line in lines), err


@pytest.mark.parametrize(
    "path",
    [
        "/home/runner/work/InfraRepo2024/InfraRepo2024/config/github-apps/deploy-bot/private-key.pem",
        "/Users/AliceSmith/Documents/GitHubApps/ProductionDeployBot/Keys/PrivateKey2024.pem",
        "C:/Users/JohnDoe/AppData/Local/GitHubAppToken/Cache/Tokens2024/app.pem",
    ],
)
def test_a_long_path_is_quoted_as_it_is(path: str) -> None:
    """Long paths with capitals and digits were taken for a key: "looks like the secret itself"."""
    code, _, err = in_process(["create", "--owner", "o", "--app-id", "1", "--private-key-file", path])
    assert code == 2 and f"'{path}'" in err and "not shown" not in err, err


def test_names_like_a_token_prefix_and_long_urls_are_quoted_as_they_are() -> None:
    from github_app_token.redaction import redact

    for text in (
        "repository 'ghs_team' and 'gho_tools'",
        "Could not reach GitHub at https://ghe.example.com/api/v3/ConfigurationManagement2024/x",
        "https://github.com/organizations/MyOrganization1/settings/installations/123",
    ):
        assert redact(text) == text
    assert "not shown" in redact("x_ghp_" + PASTED["classic token"][4:])  # glued to a word, still a token
