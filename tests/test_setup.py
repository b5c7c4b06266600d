"""``github-app-token setup`` against the emulator's API and web side, a person's clicks made over HTTP.

The browser test (``tests/test_setup_browser.py``) runs the same flow in Chromium. Waits run on a
model of time (:class:`tests.model_clock.ModelClock`): no test depends on the wall clock.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from github_app_token.setup import messages
from github_app_token.setup.local_server import ManifestServer
from tests.conftest import assert_exchanges_conform
from tests.github_emulator import GitHubEmulator, Reply, default_world, pem_pkcs1
from tests.model_clock import ModelClock
from tests.runner_harness import ROOT
from tests.setup_world import Person, Result, World, assert_nothing_secret, run_setup, web_world

README = (ROOT / "README.md").read_text()
BASIC = ["--owner", "octo-org", "--repositories", "app,infra", "--permission", "contents=write"]


def classic(world: World, *scopes: str, login: str = "octocat") -> dict[str, str]:
    return {"GH_ENTERPRISE_TOKEN": world.web.add_user_token(login, set(scopes))}


def same_key(pem: str, key: rsa.RSAPrivateKey) -> bool:
    loaded = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded.private_numbers() == key.private_numbers()


def assert_one_line_error(result: Result, fragment: str, code: int = 2) -> None:
    assert result.code == code, result.output
    lines = result.stderr.splitlines()
    assert lines and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.output


# --- the whole flow ---------------------------------------------------------------------------------
def test_organization_from_nothing_to_a_proven_token(world: World, tmp_path: Path) -> None:
    person = Person(install=["app", "infra"])
    env = classic(world, "repo", "workflow")
    result = run_setup(
        world, [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)], environ=env, person=person
    )
    assert result.code == 0, result.output
    (app,) = world.created
    assert app.owner.login == "octo-org" and app.permissions == {"metadata": "read", "contents": "write"}
    # The secret decrypts to the app's key; the variable holds its client ID.
    assert same_key(world.web.secret("/repos/octo-org/app", "APP_PRIVATE_KEY"), app.private_key)
    assert world.web.variables[("/repos/octo-org/app", "APP_CLIENT_ID")]["value"] == app.client_id
    # One token minted with the new credentials, for what was asked, and revoked.
    (token,) = [t for t in world.emulator.tokens.values() if t.installation.app is app]
    assert token.permissions == {"contents": "write"} and token.repositories == ["app", "infra"] and token.revoked
    # The pages opened: the local one, then the installation page for octo-org.
    assert person.opened[0].startswith("http://127.0.0.1:")
    org_id = world.emulator.accounts["octo-org"].id
    assert person.opened[1] == f"{world.web.root}/apps/{app.slug}/installations/new/permissions?target_id={org_id}"
    assert "user token: from GH_ENTERPRISE_TOKEN, octocat's (scopes: repo, workflow)" in result.stdout
    assert "variable APP_CLIENT_ID in octo-org/app: created" in result.stdout
    assert "secret APP_PRIVATE_KEY in octo-org/app: created" in result.stdout
    step = result.stdout[result.stdout.index(messages.WORKFLOW_STEP_INTRO) :]
    for line in (
        "client-id: ${{ vars.APP_CLIENT_ID }}",
        "private-key: ${{ secrets.APP_PRIVATE_KEY }}",
        "owner: octo-org",
        "repositories: app,infra",
        "permission-contents: write",
    ):
        assert line in step
    assert list(tmp_path.iterdir()) == []  # nothing failed: no key file
    conversion = world.emulator.requests_to("POST", "/app-manifests/{code}/conversions")
    assert len(conversion) == 1 and "Authorization" not in conversion[0].headers
    assert_nothing_secret(world, result.stdout, result.stderr, *person.pages[2:])


def test_the_step_to_paste_says_what_owner_stands_for() -> None:
    """``OWNER/github-app-token@v1`` is a placeholder: a comment above it says so, and how to pin it."""
    import yaml

    from github_app_token.cli import build_parser
    from github_app_token.setup import options
    from github_app_token.setup.command import workflow_step

    args = build_parser().parse_args(["setup", *BASIC, "--store", "octo-org/app"])
    step = workflow_step(options.check(args))
    lines = step.splitlines()
    assert lines[1] == f"- uses: {messages.ACTION_REFERENCE}"
    assert lines[0].startswith("# OWNER/github-app-token: this action's repository")
    assert "pin it by commit SHA (@<sha> # v1)" in lines[0] and len(lines[0]) <= 100
    (parsed,) = yaml.safe_load(step)  # still a list of one step, pasted as it is
    assert parsed["uses"] == messages.ACTION_REFERENCE and parsed["with"]["owner"] == "octo-org"


def test_a_personal_account_all_repositories(world: World) -> None:
    result = run_setup(
        world,
        ["--owner", "octocat", "--permission", "contents=read", "--store", "octocat/blog"],
        environ=classic(world, "repo"),
    )
    assert result.code == 0, result.output
    (app,) = world.created
    assert app.owner.login == "octocat"
    inst = next(i for i in world.emulator.installations.values() if i.app is app)
    assert inst.account.login == "octocat" and inst.repositories is None
    assert same_key(world.web.secret("/repos/octocat/blog", "APP_PRIVATE_KEY"), app.private_key)
    assert "installed on octocat: installation" in result.stdout and "(all repositories" in result.stdout
    assert_nothing_secret(world, result.output)


def test_the_organizations_secrets_with_selected_repositories(world: World) -> None:
    arguments = [*BASIC, "--store-org", "octo-org", "--store-repositories", "app,infra", "--variable-name", "MY_APP_ID"]
    result = run_setup(world, arguments, environ=classic(world, "admin:org"), person=Person(install="all"))
    assert result.code == 0, result.output
    (app,) = world.created
    stored = world.web.secrets[("/orgs/octo-org", "APP_PRIVATE_KEY")]
    ids = [world.emulator.repositories[("octo-org", name)].id for name in ("app", "infra")]
    assert stored.visibility == "selected" and stored.selected_repository_ids == ids
    assert same_key(world.web.secret("/orgs/octo-org", "APP_PRIVATE_KEY"), app.private_key)
    variable = world.web.variables[("/orgs/octo-org", "MY_APP_ID")]
    assert variable == {
        "name": "MY_APP_ID",
        "value": app.client_id,
        "visibility": "selected",
        "selected_repository_ids": ids,
    }
    assert "client-id: ${{ vars.MY_APP_ID }}" in result.stdout
    assert_nothing_secret(world, result.output)


def test_existing_values_are_updated(world: World) -> None:
    """A variable that exists is updated on 409; a secret that exists is overwritten (204)."""
    world.web.variables[("/repos/octo-org/app", "APP_CLIENT_ID")] = {"name": "APP_CLIENT_ID", "value": "old"}
    first = run_setup(world, [*BASIC, "--store", "octo-org/app", "--name", "first"], environ=classic(world, "repo"))
    assert first.code == 0, first.output
    assert "variable APP_CLIENT_ID in octo-org/app: updated" in first.stdout
    second = run_setup(world, [*BASIC, "--store", "octo-org/app", "--name", "second"], environ=classic(world, "repo"))
    assert second.code == 0, second.output
    assert "secret APP_PRIVATE_KEY in octo-org/app: updated" in second.stdout
    latest = next(app for app in world.created if app.name == "second")
    assert same_key(world.web.secret("/repos/octo-org/app", "APP_PRIVATE_KEY"), latest.private_key)
    assert world.web.variables[("/repos/octo-org/app", "APP_CLIENT_ID")]["value"] == latest.client_id


def test_existing_app(world: World, tmp_path: Path, app_key_pem: str) -> None:
    """--existing: no registration; the app (already installed on octo-org) is stored and proven."""
    key = tmp_path / "minter.pem"
    key.write_text(app_key_pem)
    person = Person()
    arguments = [
        "--owner",
        "octo-org",
        "--repositories",
        "app",
        "--permission",
        "contents=read",
        "--store",
        "octo-org/app",
    ]
    result = run_setup(
        world,
        [*arguments, "--existing", "--client-id", "Iv23liEmulatorMinter1", "--private-key-file", str(key)],
        environ=classic(world, "repo"),
        person=person,
    )
    assert result.code == 0, result.output
    assert person.opened == [] and world.created == []
    assert "already installed on octo-org" in result.stdout
    assert world.web.secret("/repos/octo-org/app", "APP_PRIVATE_KEY").strip() == app_key_pem.strip()
    assert world.web.variables[("/repos/octo-org/app", "APP_CLIENT_ID")]["value"] == "Iv23liEmulatorMinter1"
    assert_nothing_secret(world, result.output)


KEY_TEXT_SHAPES = [
    "PEM",
    "PEM on one line",
    "PEM with literal \\n",
    "base64 of the PEM file",
    "the base64 body alone",
    "a short DER base64 start",
    "a value too long for a path",
]


def key_texts(pem: str) -> dict[str, str]:
    """The shapes of a key's text that users pass where its file's path belongs."""
    import base64

    body = "".join(pem.strip().splitlines()[1:-1])
    return {
        "PEM": pem,
        "PEM on one line": " ".join(pem.split("\n")),
        "PEM with literal \\n": pem.replace("\n", "\\n"),
        "base64 of the PEM file": base64.b64encode(pem.encode()).decode(),
        "the base64 body alone": body,
        "a short DER base64 start": body[:120],
        "a value too long for a path": "x" * 201,
    }


@pytest.mark.parametrize("shape", KEY_TEXT_SHAPES)
def test_the_key_itself_given_as_its_file_is_never_shown(world: World, app_key_pem: str, shape: str) -> None:
    """``--private-key-file "$KEY"``: refused before anything is asked, without quoting the value."""
    texts = key_texts(app_key_pem)
    assert list(texts) == KEY_TEXT_SHAPES
    value = texts[shape]
    arguments = [*BASIC, "--store", "octo-org/app", "--existing", "--client-id", "Iv23liEmulatorMinter1"]
    result = run_setup(world, [*arguments, "--private-key-file", value], environ=classic(world, "repo"))
    assert_one_line_error(result, "--private-key-file takes a path, and this looks like the key itself")
    assert world.emulator.exchanges == []
    assert value.strip() not in result.output and value[20:60] not in result.output
    assert_nothing_secret(world, result.output)


@pytest.mark.parametrize(
    "path",
    [
        "key.pem",
        "./keys/my-app.2026-01-01.private-key.pem",
        "~/Downloads/my-app.2026-01-01.private-key.pem",
        "C:\\new\\keys\\app.pem",
        "/home/alice/" + "a" * 100 + "/key",
        "-",
    ],
)
def test_a_path_is_not_taken_for_a_key(path: str) -> None:
    from github_app_token.redaction import looks_secret

    assert not looks_secret(path)


def test_a_key_file_that_cannot_be_read_is_named(world: World, tmp_path: Path) -> None:
    missing = str(tmp_path / "keys" / "my-app.2026-01-01.private-key.pem")
    arguments = [*BASIC, "--store", "octo-org/app", "--existing", "--app-id", "4242", "--private-key-file", missing]
    result = run_setup(world, arguments, environ=classic(world, "repo"))
    assert_one_line_error(result, f"Cannot read --private-key-file '{missing}': No such file or directory.")


def test_existing_app_with_a_key_of_another_app(world: World, tmp_path: Path) -> None:
    from tests.github_emulator import generate_private_key

    key = tmp_path / "other.pem"
    key.write_text(pem_pkcs1(generate_private_key()))
    arguments = [*BASIC, "--store", "octo-org/app", "--existing", "--app-id", "4242", "--private-key-file", str(key)]
    result = run_setup(world, arguments, environ=classic(world, "repo"))
    assert_one_line_error(result, "the key does not belong to that app")
    assert messages.EXISTING_AGAIN in result.stderr
    assert world.web.secrets == {}


def test_enterprise_server_paths(app_key: rsa.RSAPrivateKey) -> None:
    """GHES: the web pages at https://HOST/..., the API under /api/v3, derived from --github-url alone."""
    emulator = GitHubEmulator(prefix="/api/v3")
    default_world(emulator, app_key)
    world = web_world(emulator)
    person = Person()
    with emulator:
        root = world.web.root
        result = run_setup(
            world,
            [*BASIC, "--store", "octo-org/app"],
            environ=classic(world, "repo"),
            person=person,
            github_url=root,
            api_url=None,
        )
    assert result.code == 0, result.output
    # API routes answer only under the prefix, web pages only outside it: both were reached.
    for method, operation in [
        ("GET", "/user"),
        ("POST", "/app-manifests/{code}/conversions"),
        ("GET", "/app/installations"),
    ]:
        assert emulator.requests_to(method, operation), operation
    assert emulator.requests_to("POST", "web: new org app") and emulator.requests_to("POST", "web: install")
    assert person.opened[1].startswith(root + "/apps/") and "/api/v3" not in person.opened[1]
    (app,) = world.created
    assert same_key(world.web.secret("/repos/octo-org/app", "APP_PRIVATE_KEY"), app.private_key)
    assert_exchanges_conform(emulator)


# --- refusals before anything is created --------------------------------------------------------------
REFUSALS = {
    "no user token": ([], None, "No user token to store the credentials with: set GH_ENTERPRISE_TOKEN"),
    "too few scopes": ([], {"workflow"}, "lacks the scope repo"),
    "too few scopes for the organization": (["--store-org", "octo-org"], {"repo"}, "lacks the scope admin:org"),
    "name too long": (["--name", "x" * 35], {"repo"}, "--name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' has 35 characters"),
    "bad name characters": (["--name", "my<app>"], {"repo"}, "--name holds characters"),
    "misspelt permission": (["--permission", "contnets=write"], {"repo"}, "Did you mean contents?"),
    "bad level": (["--permission", "workflows=read"], {"repo"}, "--permission workflows must be one of: write"),
    "owner not found": (["--owner", "nobody-here"], {"repo"}, "--owner 'nobody-here' is not a user or organization"),
    "store repository missing": (["--store", "octo-org/nope"], {"repo"}, "cannot read the Actions secrets' public key"),
    "not an admin of the organization": (["--store-org", "stranger-org"], {"repo", "admin:org"}, "is an owner of"),
    "store without slash": (["--store", "website"], {"repo"}, "--store takes OWNER/REPO"),
    "another user's account": (["--owner", "hubot"], {"repo"}, "Add --public"),
    "--client-id without --existing": (["--client-id", "Iv1"], {"repo"}, "--client-id is for an app that exists"),
    "bad timeout": (["--timeout", "soon"], {"repo"}, "--timeout must be seconds"),
    "selected without repositories": (
        ["--store-org", "octo-org", "--visibility", "selected"],
        {"admin:org"},
        "needs --store-repositories",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_before_anything_is_created(world: World, case: str) -> None:
    extra, scopes, fragment = REFUSALS[case]
    world.emulator.add_account("hubot", "User")
    env = {} if scopes is None else classic(world, *scopes)
    arguments = [*BASIC, "--store", "octo-org/app"] if not any(a.startswith("--store") for a in extra) else BASIC
    if "--owner" in extra:
        arguments = [a for a in arguments if a not in ("--owner", "octo-org", "--repositories", "app,infra")]
        arguments += ["--store", "octo-org/app"] if "--store" not in arguments else []
    person = Person()
    apps = len(world.emulator.apps)
    result = run_setup(world, [*arguments, *extra], environ=env, person=person)
    assert_one_line_error(result, fragment)
    assert len(result.stderr.splitlines()) == 1  # no key file, no finish command: nothing to finish
    assert person.opened == [] and len(world.emulator.apps) == apps
    assert world.web.secrets == {} and world.web.variables == {}
    assert_nothing_secret(world, result.output)


@pytest.mark.parametrize("host", ["127.attacker.example", "127.0.0.1.nip.io", "localhost.attacker.example"])
def test_plain_http_only_to_a_loopback_address(host: str) -> None:
    """A name that merely starts like a loopback address is no loopback host (inputs.is_loopback)."""
    from github_app_token.errors import InputError
    from github_app_token.setup.endpoints import resolve

    with pytest.raises(InputError, match=r"^--github-url is not usable \(plain http is only allowed for a loopback"):
        resolve(f"http://{host}:8080")
    with pytest.raises(InputError, match=r"^--api-url is not usable"):
        resolve("https://ghe.example", f"http://{host}/api/v3")
    for loopback in ("127.0.0.1:8080", "127.1.2.3", "[::1]:8080", "localhost:8080"):
        assert resolve(f"http://{loopback}").web == f"http://{loopback}"


def test_fine_grained_token_without_secrets_permission_is_refused_first(world: World) -> None:
    token = world.web.add_user_token("octocat", None, {"actions_variables": "write"})
    result = run_setup(world, [*BASIC, "--store", "octo-org/app"], environ={"GH_ENTERPRISE_TOKEN": token})
    assert_one_line_error(result, "Give the fine-grained token access to octo-org/app with the repository permissions")
    assert world.created == []


def test_token_from_the_github_cli_and_the_exact_fix(world: World, tmp_path: Path) -> None:
    """No variable set: `gh auth token` gives the token; a missing scope names `gh auth refresh -s ...`."""
    token = world.web.add_user_token("octocat", {"repo"})
    gh = tmp_path / "gh"
    gh.write_text(f"#!/bin/sh\n[ \"$1 $2 $3\" = 'auth token --hostname' ] && echo {token}\n")
    gh.chmod(0o755)
    result = run_setup(world, [*BASIC, "--store-org", "octo-org"], which=lambda name: str(gh))
    host = world.web.root.removeprefix("http://")
    assert_one_line_error(result, f"Grant it with `gh auth refresh -h {host} -s admin:org`, then run setup again.")
    ok = run_setup(world, [*BASIC, "--store", "octo-org/app"], which=lambda name: str(gh))
    assert ok.code == 0, ok.output
    assert "user token: from gh auth token, octocat's" in ok.stdout
    assert_nothing_secret(world, result.output, ok.output)


def test_a_refused_user_token(world: World) -> None:
    result = run_setup(world, [*BASIC, "--store", "octo-org/app"], environ={"GH_ENTERPRISE_TOKEN": "ghp_" + "0" * 36})
    assert_one_line_error(result, "GitHub refused the user token from GH_ENTERPRISE_TOKEN (HTTP 401: Bad credentials)")


# --- the callback and the code -----------------------------------------------------------------------
def test_the_callback_checks_state_and_is_accepted_once() -> None:
    with ManifestServer(
        lambda callback, state: (f"https://github.example/settings/apps/new?state={state}", {})
    ) as server:
        wrong = requests.get(f"{server.callback_url}?code=abc&state=not-{server.state}", timeout=5)
        assert wrong.status_code == 400 and "does not belong" in wrong.text
        no_code = requests.get(f"{server.callback_url}?state={server.state}", timeout=5)
        assert no_code.status_code == 400
        right = requests.get(f"{server.callback_url}?code=abc&state={server.state}", timeout=5)
        assert right.status_code == 200 and server.wait(1, ModelClock()) == "abc"
        again = requests.get(f"{server.callback_url}?code=other&state={server.state}", timeout=5)
        assert again.status_code == 410 and server.code == "abc"
        assert server.refused == ["state", "code", "used"]
        port = server.url
    with pytest.raises(requests.ConnectionError):
        requests.get(port + "/", timeout=5)  # stopped: the port is closed


def raw_get(url: str, hosts: list[str]) -> tuple[int, str]:
    """``GET url`` with exactly the ``Host`` headers ``hosts`` (none, one or several)."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.putrequest("GET", parts.path + (f"?{parts.query}" if parts.query else ""), skip_host=True)
        for host in hosts:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_the_local_page_is_served_only_at_its_random_path_and_on_its_host() -> None:
    """DNS rebinding: another name for 127.0.0.1 (any Host but 127.0.0.1:PORT) gets 421; a guessed
    path gets 404; neither page holds the manifest, the state or the page's path."""
    with ManifestServer(
        lambda callback, state: (f"https://github.example/settings/apps/new?state={state}", {"name": "bot"})
    ) as server:
        origin = server.url
        secret_path = server.page_url.removeprefix(origin).strip("/")
        assert origin.startswith("http://127.0.0.1:") and len(secret_path) >= 22
        host = origin.removeprefix("http://")
        status, text = raw_get(server.page_url, [host])
        assert status == 200 and 'name="manifest"' in text and server.state in text
        assert raw_get(server.page_url.rstrip("/"), [host])[0] == 200

        def refused(status: int, text: str) -> bool:
            return 'name="manifest"' not in text and server.state not in text and secret_path not in text

        for guessed in ("/", "/callback", f"/callback?code=abc&state={server.state}", "/index.html", "/x/"):
            status, text = raw_get(origin + guessed, [host])
            assert status == 404 and refused(status, text), guessed
        port = host.rpartition(":")[2]
        callback = f"{server.callback_url}?code=abc&state={server.state}"
        for hosts in (
            [f"localhost:{port}"],
            [f"rebind.attacker.example:{port}"],
            ["127.0.0.1"],
            [f"127.0.0.1:{int(port) + 1}"],
            [],
            [host, host],
        ):
            for url in (server.page_url, callback):
                status, text = raw_get(url, hosts)
                assert status == 421 and refused(status, text), hosts
        assert server.code is None and server.refused == []  # nothing was accepted, or even looked at
        status, _ = raw_get(callback, [host])
        assert status == 200 and server.wait(1, ModelClock()) == "abc"


def test_a_callback_that_never_comes_creates_nothing(world: World) -> None:
    clock = ModelClock()
    result = run_setup(
        world,
        [*BASIC, "--store", "octo-org/app", "--timeout", "90s"],
        environ=classic(world, "repo"),
        person=Person(register=False),
        clock=clock,
    )
    assert_one_line_error(result, "GitHub did not send the browser back", code=5)
    assert clock.elapsed >= 90 and world.created == []
    assert "saved" not in result.stderr


def test_a_code_used_by_someone_else(world: World, tmp_path: Path) -> None:
    """The code is good once: taken first, the command's conversion gets 404 and says how to recover."""

    def take(location: str) -> None:
        code = location.split("code=")[1].split("&")[0]
        assert requests.post(f"{world.emulator.url}/app-manifests/{code}/conversions", timeout=5).status_code == 201

    person = Person(before_callback=take)
    result = run_setup(
        world,
        [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)],
        environ=classic(world, "repo"),
        person=person,
    )
    assert_one_line_error(result, "GitHub created the app but did not hand over its credentials", code=1)
    assert "/organizations/octo-org/settings/apps" in result.stderr and list(tmp_path.iterdir()) == []


def test_a_code_older_than_an_hour(world: World) -> None:
    def later(location: str) -> None:
        world.emulator.clock_offset = 3601

    result = run_setup(
        world, [*BASIC, "--store", "octo-org/app"], environ=classic(world, "repo"), person=Person(before_callback=later)
    )
    assert_one_line_error(result, "HTTP 404", code=1)


# --- nothing lost -----------------------------------------------------------------------------------
def saved_key(tmp_path: Path) -> Path:
    (path,) = tmp_path.iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.name.endswith(".private-key.pem")
    return path


def finish(world: World, result: Result) -> list[str]:
    """The finish command printed, as arguments (without the program and the subcommand)."""
    import shlex

    line = next(line for line in result.stderr.splitlines() if line.strip().startswith("github-app-token setup"))
    words = shlex.split(line)
    return [w for w in words[2:]]


def test_an_installation_that_never_comes(world: World, tmp_path: Path) -> None:
    clock = ModelClock()
    result = run_setup(
        world,
        [*BASIC, "--store", "octo-org/app", "--timeout", "5m", "--key-dir", str(tmp_path)],
        environ=(env := classic(world, "repo")),
        person=Person(install=None),
        clock=clock,
    )
    assert_one_line_error(result, "The app was not installed on 'octo-org' within 300 s", code=5)
    assert 300 <= clock.elapsed < 310 and "still waiting (30 s of 300 s)" in result.stdout
    (app,) = world.created
    path = saved_key(tmp_path)
    assert same_key(path.read_text(), app.private_key)
    assert str(path) in result.stderr and world.web.secrets == {}
    assert_nothing_secret(world, result.output)
    # The printed command finishes the job once the app is installed.
    world.emulator.install(app, world.emulator.accounts["octo-org"])
    resumed = run_setup(world, finish(world, result), environ=env)
    assert resumed.code == 0, resumed.output
    assert same_key(world.web.secret("/repos/octo-org/app", "APP_PRIVATE_KEY"), app.private_key)


def test_an_installation_without_every_repository(world: World, tmp_path: Path) -> None:
    result = run_setup(
        world,
        [*BASIC, "--store", "octo-org/app", "--timeout", "60", "--key-dir", str(tmp_path)],
        environ=classic(world, "repo"),
        person=Person(install=["app"]),
    )
    assert_one_line_error(result, "The installation on 'octo-org' does not include infra", code=5)
    assert "installed on octo-org, but without infra: add them on" in result.stdout
    saved_key(tmp_path)


def test_storing_refused_after_creation_keeps_the_key(world: World, tmp_path: Path) -> None:
    """A fine-grained token that may read the public key but not write secrets: refused at PUT."""
    token = world.web.add_user_token("octocat", None, {"secrets": "read", "actions_variables": "write"})
    result = run_setup(
        world, [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)], environ={"GH_ENTERPRISE_TOKEN": token}
    )
    assert result.code == 1, result.output
    assert result.stderr.startswith("error: Could not store the credentials in octo-org/app: GitHub answered PUT")
    (app,) = world.created
    path = saved_key(tmp_path)
    assert same_key(path.read_text(), app.private_key)
    assert f"github-app-token setup --existing --client-id {app.client_id} --private-key-file {path}" in result.stderr
    assert_nothing_secret(world, result.output)


def assert_registered_elsewhere(world: World, result: Result, person: Person, keys: Path, got: str) -> None:
    """Refused after the conversion: the key saved (nothing lost), nothing installed or stored, one line."""
    (app,) = world.created
    assert app.owner.login == got
    assert result.code == 1, result.output
    first, *rest = result.stderr.splitlines()
    assert first.startswith(f"error: GitHub registered the app '{app.name}' under the account '{got}', not '")
    assert "neither installed nor stored" in first and "Delete it on its settings page" in first
    assert same_key(saved_key(keys).read_text(), app.private_key)
    assert rest == [messages.KEY_SAVED_WRONG_OWNER.format(path=saved_key(keys))]  # no command to finish it
    assert len(person.opened) == 1  # the local page; no installation page
    assert not [i for i in world.emulator.installations.values() if i.app is app]
    assert world.web.secrets == {} and world.web.variables == {}
    assert not world.emulator.requests_to("GET", "/app/installations")
    assert_nothing_secret(world, result.output)


def test_a_personal_app_registered_by_another_signed_in_user_is_refused(world: World, tmp_path: Path) -> None:
    """The browser is signed in to GitHub as hubot, the token is octocat's: the app is hubot's."""
    world.emulator.add_account("hubot", "User")
    world.web.signed_in = "hubot"
    person = Person()
    result = run_setup(
        world,
        ["--owner", "octocat", "--permission", "contents=read", "--store", "octocat/blog", "--key-dir", str(tmp_path)],
        environ=classic(world, "repo"),
        person=person,
    )
    assert_registered_elsewhere(world, result, person, tmp_path, "hubot")
    (app,) = world.created
    assert "not 'octocat' as asked" in result.stderr
    assert f"({world.web.root}/settings/apps/{app.slug}: Advanced" in result.stderr
    assert "with the browser signed in to GitHub as octocat." in result.stderr


@pytest.mark.parametrize("got", ["octocat", "stranger-org"])
def test_an_organization_app_that_github_registered_under_another_account_is_refused(
    world: World, tmp_path: Path, got: str
) -> None:
    world.web.owner_of_new_apps = got
    person = Person()
    result = run_setup(
        world, [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)], environ=classic(world, "repo"),
        person=person,
    )  # fmt: skip
    assert_registered_elsewhere(world, result, person, tmp_path, got)
    (app,) = world.created
    settings = f"{world.web.root}/organizations/{got}" if got == "stranger-org" else world.web.root
    assert "not 'octo-org' as asked" in result.stderr
    assert f"({settings}/settings/apps/{app.slug}: Advanced" in result.stderr
    assert result.stderr.splitlines()[0].endswith("then run setup again.")


class Interrupting(ModelClock):
    """Ctrl-C on the ``at``-th wait."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if len(self.slept) >= self.at:
            raise KeyboardInterrupt


def test_ctrl_c_waiting_for_the_callback_leaves_nothing(world: World, tmp_path: Path) -> None:
    person = Person(register=False)
    result = run_setup(
        world,
        [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)],
        environ=classic(world, "repo"),
        person=person,
        clock=Interrupting(3),
    )
    assert result.code == 130 and result.stderr == messages.INTERRUPTED + "\n"
    assert world.created == [] and list(tmp_path.iterdir()) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(person.opened[0], timeout=5)  # the local server stopped


def test_ctrl_c_waiting_for_the_installation_keeps_the_key(world: World, tmp_path: Path) -> None:
    result = run_setup(
        world,
        [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)],
        environ=classic(world, "repo"),
        person=Person(install=None),
        clock=Interrupting(2),
    )
    assert result.code == 130
    (app,) = world.created
    assert same_key(saved_key(tmp_path).read_text(), app.private_key)
    assert "Finish the job with:" in result.stderr
    assert_nothing_secret(world, result.output)


class Terminating(ModelClock):
    """SIGTERM to this process on the ``at``-th wait (a closed terminal, ``kill``, a CI job's end)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if len(self.slept) == self.at:
            os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_waiting_for_the_installation_keeps_the_key(world: World, tmp_path: Path) -> None:
    """SIGTERM's default killed the command with the new app's key in memory only: no rescue file."""
    previous = signal.signal(signal.SIGTERM, _interrupt)  # without setup's own handler: 130, not a kill
    try:
        result = run_setup(
            world,
            [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)],
            environ=classic(world, "repo"),
            person=Person(install=None),
            clock=Terminating(2),
        )
        assert signal.getsignal(signal.SIGTERM) is _interrupt  # the handler before setup came back
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.code == 143, result.stderr
    (app,) = world.created
    assert same_key(saved_key(tmp_path).read_text(), app.private_key)
    assert "Finish the job with:" in result.stderr
    assert_nothing_secret(world, result.output)


def test_key_saved_to_a_new_file_only_the_user_can_read(tmp_path: Path) -> None:
    from github_app_token.setup.rescue import save_key

    old = os.umask(0)
    try:
        first = save_key(tmp_path, "my-app", "PEM")
        second = save_key(tmp_path, "my-app", "PEM2")
    finally:
        os.umask(old)
    assert first != second and first.read_text() == "PEM\n" and second.read_text() == "PEM2\n"
    assert {stat.S_IMODE(p.stat().st_mode) for p in (first, second)} == {0o600}


def test_the_help_names_every_option() -> None:
    command = str(Path(sys.executable).parent / "github-app-token")
    done = subprocess.run([command, "setup", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    for option in (
        "--owner",
        "--repositories",
        "--permission",
        "--store",
        "--store-org",
        "--existing",
        "--github-url",
        "--timeout",
    ):
        assert option in done.stdout
    # The wheel has no docs/: the help names where docs/setup.md is, and the README (the package's description).
    text = " ".join(done.stdout.split())
    assert "See docs/setup.md." not in text and "docs/setup.md in the project's repository" in text
    assert 'the README\'s "Set up in one command"' in text and "\n## Set up in one command\n" in README


@pytest.mark.parametrize("arguments", [["setup", "--owner", "x", "--store", "a/b"], ["setup", "--help"]])
def test_where_the_setup_package_is_left_out_the_cli_says_so(arguments: list[str]) -> None:
    """As in the action's image (image/rootfs.py leaves github_app_token.setup out): one line, exit 2."""
    import sys

    from github_app_token.cli.setup import NOT_IN_IMAGE

    code = (
        "import sys; sys.modules['github_app_token.setup'] = None\n"
        f"from github_app_token.cli import main; raise SystemExit(main({arguments!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {NOT_IN_IMAGE}\n")


def test_ctrl_c_while_the_credentials_arrive_keeps_the_key(world: World, tmp_path: Path) -> None:
    """Ctrl-C between GitHub creating the app and the command holding its key is held back until it does."""
    import signal

    (route,) = [r for r in world.emulator.routes if r.operation == "/app-manifests/{code}/conversions"]
    convert = route.handler

    def interrupted(request: object, exchange: object, **groups: str) -> Reply:
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C while GitHub answers
        return convert(request, exchange, **groups)

    route.handler = interrupted
    sigint_before = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN under `nohup ... &`
    result = run_setup(
        world, [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)], environ=classic(world, "repo")
    )
    assert result.code == 130 and world.web.secrets == {}
    (app,) = world.created
    assert same_key(saved_key(tmp_path).read_text(), app.private_key)
    assert signal.getsignal(signal.SIGINT) is sigint_before  # the handler setup found came back


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM's stand-in while the test runs: without setup's own handler, no kill


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_proving_token_is_created_revokes_it(
    world: World, tmp_path: Path, number: signal.Signals
) -> None:
    """Ctrl-C or SIGTERM while GitHub creates the proving token (the emulator holds the request: no
    timing): the request finishes, the token is revoked, and the command says so."""
    import threading

    from tests.github_emulator import Fault

    gate = world.emulator.inject(Fault(action="gate", method="POST", path=r"/app/installations/[0-9]+/access_tokens"))

    def press() -> None:
        if gate.arrived.wait(60):
            os.kill(os.getpid(), number)
        gate.release.set()

    presser = threading.Thread(target=press)
    sigint_before = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN under `nohup ... &`
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        presser.start()
        result = run_setup(
            world, [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)], environ=classic(world, "repo")
        )
        presser.join()
        assert signal.getsignal(signal.SIGINT) is sigint_before
        assert signal.getsignal(signal.SIGTERM) is _interrupt  # the handlers before setup came back
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert gate.arrived.is_set(), result.output
    exchanges = world.emulator.exchanges
    assert world.emulator.wait_for(lambda: any(e.path.endswith("/access_tokens") and e.status for e in exchanges))
    (app,) = world.created
    (token,) = [t for t in world.emulator.tokens.values() if t.installation.app is app]
    assert token.revoked
    assert [
        e.method for e in world.emulator.exchanges if e.path.endswith(("/access_tokens", "/installation/token"))
    ] == [
        "POST",
        "DELETE",
    ]
    assert result.code == 128 + number, result.output
    assert result.stderr.startswith(f"error: The step was cancelled ({number.name}) before it finished. The 1 token(s)")
    assert "Traceback" not in result.output
    assert same_key(world.web.secret("/repos/octo-org/app", "APP_PRIVATE_KEY"), app.private_key)  # stored before
    assert_nothing_secret(world, result.output)


def test_an_error_once_the_proving_token_exists_revokes_it(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any error after GitHub created the proving token (here a bug, raised where the proof is put
    together) still revokes it; the command says one line and keeps the key."""
    from github_app_token.setup import prove

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(prove, "Proof", broken)
    result = run_setup(
        world, [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path)], environ=classic(world, "repo")
    )
    assert_one_line_error(result, "unexpected RuntimeError; please report it", code=1)
    (app,) = world.created
    (token,) = [t for t in world.emulator.tokens.values() if t.installation.app is app]
    assert token.revoked
    assert same_key(saved_key(tmp_path).read_text(), app.private_key)


def test_no_text_browser_takes_over_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a display or BROWSER (over SSH), the page is printed, not opened in lynx or w3m."""
    import sys
    import webbrowser

    from github_app_token.setup.command import open_in_browser

    opened: list[str] = []

    def record(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", record)
    monkeypatch.setattr(sys, "platform", "linux")
    assert open_in_browser("http://127.0.0.1:1/", {}) is False and opened == []
    assert open_in_browser("http://127.0.0.1:1/", {"DISPLAY": ":0"}) is True and opened == ["http://127.0.0.1:1/"]


def test_a_key_dir_that_cannot_be_written_is_refused_first(world: World, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    person = Person()
    result = run_setup(
        world, [*BASIC, "--store", "octo-org/app", "--key-dir", str(tmp_path / "a-file" / "keys")],
        environ=classic(world, "repo"), person=person,
    )  # fmt: skip
    assert_one_line_error(result, "is not writable, so a key could not be kept there")
    assert person.opened == [] and world.created == []


def test_a_hostile_conversion_answer_changes_no_file_and_no_page(world: World, tmp_path: Path) -> None:
    """A slug with a path in it, a name with terminal escapes, a page on another host: the key is saved
    under a plain name in --key-dir, nothing of the escapes is printed, the pages opened are GitHub's."""
    (route,) = [r for r in world.emulator.routes if r.operation == "/app-manifests/{code}/conversions"]
    convert = route.handler

    def hostile(request: object, exchange: object, **groups: str) -> Reply:
        answer = convert(request, exchange, **groups)
        answer.body.update(slug="../../escaped", name="\x1b[2J\x1b]0;pwned\x07bot", html_url="https://evil.example/x")
        return answer

    route.handler = hostile
    person = Person(install=None)
    keys = tmp_path / "keys"
    result = run_setup(
        world, [*BASIC, "--store", "octo-org/app", "--timeout", "10", "--key-dir", str(keys)],
        environ=classic(world, "repo"), person=person,
    )  # fmt: skip
    assert result.code == 5
    (saved,) = keys.iterdir()
    assert saved.name.startswith("escaped.") and not (tmp_path / "escaped").exists()
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert person.opened[1].startswith(world.web.root + "/apps/")


def test_existing_app_not_yet_installed_is_installed_then_stored(
    world: World, tmp_path: Path, app_key_pem: str
) -> None:
    """--existing does steps 3 to 5: the installation page for the owner, the wait, storing, the proof."""
    my_org = world.emulator.add_account("my-org")
    world.emulator.add_repository(my_org, "website")
    world.web.admins["my-org"] = {"octocat"}
    world.web.public_apps.add(4242)  # installable beyond its owner's account
    key = tmp_path / "minter.pem"
    key.write_text(app_key_pem)
    person = Person(install=["website"])
    arguments = ["--owner", "my-org", "--repositories", "website", "--permission", "contents=write"]
    result = run_setup(
        world,
        [*arguments, "--store", "my-org/website", "--existing", "--app-id", "4242", "--private-key-file", str(key)],
        environ=classic(world, "repo"),
        person=person,
    )
    assert result.code == 0, result.output
    assert person.opened == [f"{world.web.root}/apps/token-minter/installations/new/permissions?target_id={my_org.id}"]
    assert world.web.variables[("/repos/my-org/website", "APP_CLIENT_ID")]["value"] == "Iv23liEmulatorMinter1"
    (token,) = [t for t in world.emulator.tokens.values() if t.installation.account is my_org]
    assert token.repositories == ["website"] and token.revoked
    assert_nothing_secret(world, result.output)


def test_without_pynacl_nothing_is_created(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nacl" else real(name, *a))
    person = Person()
    result = run_setup(world, [*BASIC, "--store", "octo-org/app"], environ=classic(world, "repo"), person=person)
    assert_one_line_error(result, "PyNaCl, which seals the secrets, is not installed")
    assert person.opened == [] and world.created == []
