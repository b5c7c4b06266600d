"""``github-app-token git-credential``: real ``git`` against the emulator's git side, asking the CLI for
credentials, outside Actions (other CI systems, macOS and Windows runners)."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from github_app_token.cli import build_parser, git_credential, main
from github_app_token.cli.common import Context
from github_app_token.cli.git_credential import asks_for
from tests.coverage_env import coverage_env
from tests.git_server import GitServer, clean_git_env, serve_git
from tests.github_emulator import App, GitHubEmulator, default_world
from tests.runner_harness import key_fragments, secret_forms

COMMAND = str(Path(sys.executable).parent / "github-app-token")
CREATE = "/app/installations/{installation_id}/access_tokens"


@pytest.fixture
def git(emulator: GitHubEmulator, tmp_path: Path) -> GitServer:
    return serve_git(emulator, tmp_path / "git")


def helper(app: App, key_file: Path, emulator: GitHubEmulator, cache: Path, *options: str) -> str:
    """The ``credential.helper`` value a user configures (git appends get, store or erase)."""
    argv = [COMMAND, "git-credential", "--client-id", app.client_id, "--private-key-file", str(key_file)]
    argv += ["--api-url", emulator.url, "--cache-dir", str(cache), *options]
    return "!" + shlex.join(argv)


def run_git(
    home: Path,
    value: str,
    *args: str,
    cwd: Path | None = None,
    use_http_path: str = "credential.useHttpPath",
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """git with ``value`` as its credential helper, and ``use_http_path`` (a key; "" for none) true."""
    env = {**clean_git_env(home), **coverage_env(), **extra}
    config = ["-c", f"credential.helper={value}", *(["-c", f"{use_http_path}=true"] if use_http_path else [])]
    return subprocess.run(["git", *config, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def ask(
    action: str,
    description: str,
    app: App,
    key_file: Path,
    cache: Path | None,
    *options: str,
    env: dict[str, str] | None = None,
    clock: Callable[[], float] | None = None,
) -> tuple[int, str, str]:
    """The helper run in this process as git runs it: ``(exit code, standard output, standard error)``;
    with ``--cache-dir cache`` unless it is None; with ``clock``, its clock (epoch seconds) is that one."""
    argv = ["git-credential", "--client-id", app.client_id, "--private-key-file", str(key_file)]
    argv += [*(("--cache-dir", str(cache)) if cache else ()), *options, action]
    out, err = io.StringIO(), io.StringIO()
    environ = {"PATH": "/usr/bin:/bin", **(env or {})}
    if clock is None:
        code = main(argv, environ, io.StringIO(description), out, err)
    else:
        args = build_parser().parse_args(argv)
        code = git_credential.run(args, Context(environ, io.StringIO(description), out, err), clock)
    return code, out.getvalue(), err.getvalue()


def wants(url: str, **fields: str) -> str:
    """What git writes to the helper for ``url``'s host (a loopback http one), and ``fields``."""
    lines = ["protocol=http", f"host={url.removeprefix('http://').partition('/')[0]}"]
    return "\n".join([*lines, *(f"{k}={v}" for k, v in fields.items())]) + "\n\n"


def answered(output: str) -> dict[str, str]:
    """The helper's answer, as git reads it."""
    return dict(line.split("=", 1) for line in output.splitlines())


@pytest.fixture
def key_file(tmp_path: Path, app_key_pem: str) -> Path:
    path = tmp_path / "app.pem"
    path.write_text(app_key_pem)
    path.chmod(0o600)
    return path


def test_git_clones_and_pushes_with_a_minted_token_cached_between_calls(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, git: GitServer, app_key_pem: str
) -> None:
    cache = tmp_path / "cache"
    value = helper(
        app, key_file, emulator, cache, "--owner", "octo-org", "--repositories", "app", "--permission", "contents=write"
    )
    clone = tmp_path / "clone"
    cloned = run_git(tmp_path, value, "clone", git.url("octo-org", "app"), str(clone))
    assert cloned.returncode == 0, cloned.stderr
    (token,) = emulator.tokens
    assert emulator.tokens[token].repositories == ["app"] and emulator.tokens[token].permissions == {
        "contents": "write"
    }
    (clone / "new.txt").write_text("x\n")
    run_git(tmp_path, value, "add", "new.txt", cwd=clone)
    run_git(tmp_path, value, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "x", cwd=clone)
    pushed = run_git(tmp_path, value, "push", "origin", "HEAD:main", cwd=clone)
    assert pushed.returncode == 0, pushed.stderr
    assert len(emulator.tokens) == 1  # the cached token served the push: one token, minted once
    assert len(emulator.requests_to("POST", CREATE)) == 1
    # The cache is its user's alone, and no output shows a secret.
    (cached,) = cache.iterdir()
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700) and oct(cached.stat().st_mode & 0o777) == oct(0o600)
    for output in (cloned, pushed):
        for secret in [*secret_forms(token), *key_fragments(app_key_pem)]:
            assert secret not in output.stdout + output.stderr


def test_a_token_is_reused_until_ten_minutes_before_its_expires_at(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path
) -> None:
    """Model time: the helper's clock is set against the token's ``expires_at`` (as git gets it,
    ``password_expiry_utc``); a token of any life is handed out again only with ten minutes left."""
    emulator.token_lifetime = 20 * 60  # shorter than GitHub's hour: "a share of its life" would not do
    options = ("--api-url", emulator.url, "--owner", "octo-org")

    def get(now: float) -> dict[str, str]:
        code, out, err = ask("get", wants(emulator.url), app, key_file, tmp_path, *options, clock=lambda: now)
        assert code == 0, err
        return answered(out)

    first = get(0.0)
    expires = int(first["password_expiry_utc"])
    assert get(expires - 10 * 60 - 1) == first and len(emulator.tokens) == 1
    second = get(expires - 10 * 60 + 1)  # under ten minutes left: a new token
    assert second["password"] != first["password"] and len(emulator.tokens) == 2
    third = get(int(second["password_expiry_utc"]) + 1)  # expired: a new token
    assert third["password"] not in (first["password"], second["password"]) and len(emulator.tokens) == 3


def test_erase_drops_only_the_token_git_was_refused(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path
) -> None:
    options = ("--api-url", emulator.url, "--owner", "octo-org")
    code, out, err = ask("get", wants(emulator.url), app, key_file, tmp_path, *options)
    assert code == 0, err
    token = answered(out)["password"]
    # An older token refused (another call has cached a new one since): the cached one stays.
    assert ask("erase", wants(emulator.url, password="ghs_older"), app, key_file, tmp_path, *options)[0] == 0
    assert answered(ask("get", wants(emulator.url), app, key_file, tmp_path, *options)[1])["password"] == token
    assert ask("erase", wants(emulator.url, password=token), app, key_file, tmp_path, *options) == (0, "", "")
    assert list(tmp_path.glob("token-*")) == []
    assert answered(ask("get", wants(emulator.url), app, key_file, tmp_path, *options)[1])["password"] != token
    assert len(emulator.tokens) == 2


def test_a_token_is_never_handed_out_for_other_options(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, app_key: rsa.RSAPrivateKey
) -> None:
    """The cache is keyed by everything that decides the token: another API (here from
    ``GITHUB_API_URL``, as in the README's recipe), scope, app or ``GITHUB_REPOSITORY`` mints anew."""
    other = GitHubEmulator()
    default_world(other, app_key)
    with other:
        for api in (emulator, other, emulator):
            code, _, err = ask("get", wants(api.url), app, key_file, tmp_path, "--owner", "octo-org",
                               env={"GITHUB_API_URL": api.url})  # fmt: skip
            assert code == 0, err
        assert len(emulator.tokens) == len(other.tokens) == 1
    base = ("--api-url", emulator.url)
    for options, env in (
        (("--owner", "octo-org", "--permission", "contents=read"), {}),
        (("--owner", "octo-org", "--repositories", "app"), {}),
        (("--owner", "octocat"), {}),
        ((), {"GITHUB_REPOSITORY": "octo-org/app"}),
        ((), {"GITHUB_REPOSITORY": "octo-org/infra"}),
    ):
        code, _, err = ask("get", wants(emulator.url), app, key_file, tmp_path, *base, *options, env=env)
        assert code == 0, err
    # The same app by its app ID (the issuer of its JWTs differs): a token of its own too.
    by_app_id = (*base, "--client-id", "", "--app-id", str(app.id), "--owner", "octo-org")
    code, _, err = ask("get", wants(emulator.url), app, key_file, tmp_path, *by_app_id)
    assert code == 0, err
    issued = list(emulator.tokens.values())
    assert len(issued) == 7  # each asked for a token of its own
    assert [t.installation.account.login for t in issued].count("octocat") == 1
    assert [t.repositories for t in issued[4:6]] == [["app"], ["infra"]]


def test_a_refused_token_is_erased_and_the_next_call_mints_again(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, git: GitServer
) -> None:
    cache = tmp_path / "cache"
    value = helper(app, key_file, emulator, cache, "--owner", "octo-org")
    assert run_git(tmp_path, value, "ls-remote", git.url("octo-org", "app")).returncode == 0
    (first,) = emulator.tokens
    emulator.tokens[first].revoked = True  # revoked elsewhere: git is refused, then calls erase
    refused = run_git(tmp_path, value, "ls-remote", git.url("octo-org", "app"))
    assert refused.returncode != 0
    assert list(cache.iterdir()) == []
    assert run_git(tmp_path, value, "ls-remote", git.url("octo-org", "app")).returncode == 0
    assert len(emulator.tokens) == 2


def test_several_owners_pick_the_token_by_the_urls_owner(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, git: GitServer
) -> None:
    value = helper(app, key_file, emulator, tmp_path / "cache", "--owner", "octo-org", "--owner", "octocat")
    done = run_git(tmp_path, value, "ls-remote", git.url("octocat", "blog"))
    assert done.returncode == 0 and "useHttpPath" not in done.stderr
    (token,) = emulator.tokens.values()
    assert token.installation.account.login == "octocat"
    assert run_git(tmp_path, value, "ls-remote", git.url("octo-org", "app")).returncode == 0
    assert {t.installation.account.login for t in emulator.tokens.values()} == {"octo-org", "octocat"}
    # Set for the host only (the URL-scoped form the warning below names): the same.
    scoped = f"credential.{git.base_url}.useHttpPath"
    done = run_git(tmp_path, value, "ls-remote", git.url("octocat", "dotfiles"), use_http_path=scoped)
    assert done.returncode == 0 and "useHttpPath" not in done.stderr and len(emulator.tokens) == 2


def test_several_owners_without_the_path_say_how_to_have_git_send_it(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, git: GitServer
) -> None:
    """Without ``credential.useHttpPath`` git sends no path: the first owner's token, and one line
    that says why another owner's repository is "not found" and what to set."""
    value = helper(app, key_file, emulator, tmp_path / "cache", "--owner", "octo-org", "--owner", "octocat")
    hint = (
        "warning: Several owners are given (--owner, --repositories) but git sent no repository path, so this is "
        "the first owner's token ('octo-org'), and GitHub answers \"Repository not found\" for another owner's "
        "repository. Make git send the path: git config --global credential.useHttpPath true (or only for this "
        f"host: credential.{git.base_url}.useHttpPath true).\n"
    )
    first = run_git(tmp_path, value, "ls-remote", git.url("octo-org", "app"), use_http_path="")
    assert first.returncode == 0 and first.stderr == hint
    other = run_git(tmp_path, value, "ls-remote", git.url("octocat", "blog"), use_http_path="")
    assert other.returncode != 0
    assert other.stderr.startswith(hint + "remote: Repository not found.\nfatal: repository ")
    (token,) = emulator.tokens.values()  # the first owner's, minted once and cached
    assert token.installation.account.login == "octo-org"


def test_in_a_github_actions_step_each_token_is_masked_first(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, git: GitServer
) -> None:
    value = helper(app, key_file, emulator, tmp_path / "cache", "--owner", "octo-org")
    done = run_git(tmp_path, value, "ls-remote", git.url("octo-org", "app"), GITHUB_ACTIONS="true")
    assert done.returncode == 0, done.stderr
    (token,) = emulator.tokens
    assert f"::add-mask::{token}" in done.stderr and done.stderr.count(token) == 1


def test_a_mistake_is_one_line_for_git_to_show(emulator: GitHubEmulator, tmp_path: Path) -> None:
    done = subprocess.run(
        [COMMAND, "git-credential", "--client-id", "Iv1", "--owner", "octo-org", "--api-url", emulator.url, "get"],
        input=f"protocol=http\nhost={emulator.url.removeprefix('http://')}\n\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: No private key") and done.stderr.count("\n") == 1
    assert emulator.exchanges == []


def test_store_does_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [COMMAND, "git-credential", "store"], input="password=x\n\n", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


@pytest.mark.parametrize(
    ("web", "protocol", "host", "answered"),
    [
        ("https://github.com", "https", "github.com", True),
        ("https://github.com", "https", "GitHub.COM", True),
        ("https://github.com", "https", "github.com:443", True),
        ("https://github.com", "http", "github.com", False),
        ("https://github.com", "https", "github.com:8443", False),
        ("https://github.com", "https", "evil.example", False),
        ("https://github.com", "https", "github.com.evil.example", False),
        ("https://github.com", "https", "github.com@evil.example", False),
        ("https://github.com", "https", "evil.example/github.com", False),
        ("https://github.com", "", "github.com", False),
        ("https://github.com", "https", "", False),
        ("https://ghe.example.com", "https", "ghe.example.com", True),
        ("http://127.0.0.1:8080", "http", "127.0.0.1:8080", True),
        ("http://127.0.0.1:8080", "http", "127.0.0.1:8081", False),
        ("http://127.0.0.1:8080", "https", "127.0.0.1:8080", False),
        ("http://[::1]:8080", "http", "[::1]:8080", True),
        ("http://ghe.example.com", "http", "ghe.example.com", False),  # plain http leaves the machine
    ],
)
def test_only_the_apis_own_web_host_is_answered(web: str, protocol: str, host: str, answered: bool) -> None:
    assert asks_for({"protocol": protocol, "host": host}, web) is answered


def test_no_token_for_another_host_and_no_request_for_it(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path
) -> None:
    """Another host (or scheme) gets nothing: no output, exit 0 (git asks its other helpers), no request."""
    port, cache = emulator.url.rpartition(":")[2], tmp_path / "cache"
    for description in (
        "protocol=https\nhost=evil.example\n\n",
        f"protocol=https\nhost=127.0.0.1:{port}\n\n",
        "protocol=https\nhost=github.com\n\n",  # not the instance of --api-url
    ):
        for action in ("get", "erase", "store"):
            options = ("--api-url", emulator.url, "--owner", "octo-org")
            assert ask(action, description, app, key_file, cache, *options) == (0, "", "")
    assert emulator.exchanges == [] and not cache.exists()
    code, out, _ = ask(
        "get", wants(emulator.url), app, key_file, cache, "--api-url", emulator.url, "--owner", "octo-org"
    )
    assert code == 0 and out.startswith("username=x-access-token\npassword=")


def test_git_sends_no_token_to_another_server(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, git: GitServer, app_key: rsa.RSAPrivateKey
) -> None:
    """The helper configured for every host (``credential.helper``, not URL-scoped): a repository on
    another server (the same address, another port) asks it, and gets no token."""
    elsewhere = GitHubEmulator()
    default_world(elsewhere, app_key)
    with elsewhere:
        other = serve_git(elsewhere, tmp_path / "elsewhere")
        value = helper(app, key_file, emulator, tmp_path / "cache", "--owner", "octo-org")
        done = run_git(tmp_path, value, "ls-remote", other.url("octo-org", "app"))
    assert done.returncode != 0
    assert other.exchanges() and not any(
        name.lower() == "authorization" for exchange in other.exchanges() for name in exchange.headers
    )
    assert emulator.exchanges == [] and not emulator.tokens


def test_the_cache_directory_is_made_private_and_a_users_own_is_left_alone(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path
) -> None:
    options = ("--api-url", emulator.url, "--owner", "octo-org")
    made = tmp_path / "made" / "cache"  # neither exists: both made, 0700
    assert ask("get", wants(emulator.url), app, key_file, made, *options)[0] == 0
    assert [oct(d.stat().st_mode & 0o777) for d in (made.parent, made)] == [oct(0o700)] * 2
    (cached,) = made.iterdir()
    assert oct(cached.stat().st_mode & 0o777) == oct(0o600)
    own = tmp_path / "own"  # the user's directory: its mode is the user's business
    own.mkdir(mode=0o755)
    own.chmod(0o755)
    assert ask("get", wants(emulator.url), app, key_file, own, *options)[0] == 0
    assert oct(own.stat().st_mode & 0o777) == oct(0o755)
    (cached,) = own.iterdir()
    assert oct(cached.stat().st_mode & 0o777) == oct(0o600)


def test_in_a_github_actions_job_the_cache_is_in_runner_temp(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path
) -> None:
    runner_temp, home = tmp_path / "runner-temp", tmp_path / "home"
    runner_temp.mkdir()
    env = {"GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(runner_temp), "HOME": str(home)}
    code, out, err = ask("get", wants(emulator.url), app, key_file, None, "--api-url", emulator.url,
                         "--owner", "octo-org", env=env)  # fmt: skip
    assert code == 0 and err == f"::add-mask::{answered(out)['password']}\n"
    assert len(list((runner_temp / "github-app-token").glob("token-*.json"))) == 1 and not home.exists()
    without = {"HOME": str(home)}  # elsewhere: the user's cache directory
    assert ask("get", wants(emulator.url), app, key_file, None, "--api-url", emulator.url, "--owner", "octo-org",
               env=without)[0] == 0  # fmt: skip
    assert len(list((home / ".cache" / "github-app-token").glob("token-*.json"))) == 1


def test_two_calls_writing_the_cache_at_once_both_succeed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git may run two helpers at once (a fetch of submodules): while one writes the cache file, the
    other writes it too (here, deterministically, from inside the first's write). Neither fails,
    the file holds one whole record, and no temporary file is left."""
    path = tmp_path / "cache" / "token-x.json"
    dump = json.dump
    nested: list[bool] = []

    def dump_and_let_another_write(record: object, handle: io.TextIOBase) -> None:
        if not nested:
            nested.append(True)
            git_credential.save(path, {"token": "second", "expires": 2.0})
        dump(record, handle)

    monkeypatch.setattr(json, "dump", dump_and_let_another_write)
    git_credential.save(path, {"token": "first", "expires": 1.0})
    assert git_credential.load(path) == {"token": "first", "expires": 1.0}
    assert [p.name for p in path.parent.iterdir()] == ["token-x.json"]


@pytest.mark.parametrize("where", ["/proc/nope", "a file", "under a file"])
def test_an_unusable_cache_directory_is_one_warning_and_git_still_gets_a_token(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, where: str
) -> None:
    (tmp_path / "file").write_text("")
    cache = {"/proc/nope": Path("/proc/nope"), "a file": tmp_path / "file", "under a file": tmp_path / "file" / "c"}
    options = ("--api-url", emulator.url, "--owner", "octo-org")
    for _ in range(2):
        code, out, err = ask("get", wants(emulator.url), app, key_file, cache[where], *options)
        assert code == 0 and answered(out)["username"] == "x-access-token"
        assert err.startswith(f"warning: The token cache '{cache[where]}' (--cache-dir) cannot be used (")
        assert err.count("\n") == 1 and "give --cache-dir a directory" in err and answered(out)["password"] not in err
    assert len(emulator.tokens) == 2  # nothing was kept: each call mints
    assert ask("erase", wants(emulator.url), app, key_file, cache[where], *options) == (0, "", "")


def test_git_clones_with_an_unusable_cache_directory(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, git: GitServer
) -> None:
    value = helper(app, key_file, emulator, Path("/proc/nope"), "--owner", "octo-org")
    done = run_git(tmp_path, value, "clone", git.url("octo-org", "app"), str(tmp_path / "clone"))
    assert done.returncode == 0, done.stderr
    assert (
        "warning: The token cache '/proc/nope' (--cache-dir) cannot be used (No such file or directory)" in done.stderr
    )
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr


def test_owners_given_by_repositories_are_picked_by_the_path_too(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path
) -> None:
    options = ("--api-url", emulator.url, "--repositories", "octo-org/app,octocat/blog")
    for path, owner in (("octocat/blog.git", "octocat"), ("octo-org/app.git", "octo-org")):
        code, out, err = ask("get", wants(emulator.url, path=path), app, key_file, tmp_path, *options)
        assert code == 0 and err == ""
        assert emulator.tokens[answered(out)["password"]].installation.account.login == owner


@pytest.mark.parametrize("planted", ["another user's file", "a link"])
def test_a_cached_token_planted_by_someone_else_is_never_handed_out(
    emulator: GitHubEmulator, app: App, key_file: Path, tmp_path: Path, planted: str
) -> None:
    """In a shared ``--cache-dir`` (say /tmp), another user could plant the cache file (or a link to
    a file of theirs) for git to hand their token of choice to GitHub, in this user's name."""
    options = ("--api-url", emulator.url, "--owner", "octo-org")
    code, out, err = ask("get", wants(emulator.url), app, key_file, tmp_path, *options)
    assert code == 0, err
    (cached,) = tmp_path.glob("token-*.json")
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({"token": "ghs_planted", "expires": 4102444800}))
    cached.unlink()
    if planted == "a link":
        cached.symlink_to(forged)
    else:
        forged.rename(cached)
        os.chown(cached, 4242, 4242)  # the tests run as root: any other uid stands for another user
    code, out, err = ask("get", wants(emulator.url), app, key_file, tmp_path, *options)
    assert code == 0, err
    assert answered(out)["password"] != "ghs_planted" and len(emulator.tokens) == 2


@pytest.mark.parametrize("option", ["--private-key-file", "--app-jwt-file"])
def test_standard_input_for_the_key_is_refused_as_gits_request_comes_there(app: App, option: str) -> None:
    argv = ["git-credential", "--client-id", app.client_id, option, "-", "get"]
    err = io.StringIO()
    code = main(argv, {"PATH": "/usr/bin"}, io.StringIO("protocol=https\nhost=github.com\n\n"), io.StringIO(), err)
    assert code == 2 and f"{option} - cannot be used by a credential helper" in err.getvalue()
