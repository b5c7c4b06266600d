"""Real git against the emulator's git side (tests/git_server.py): installation tokens over smart HTTP.

Every scenario runs with both token formats (the ``emulator`` fixture); tokens come from the
emulator's public API (an app JWT, ``POST /app/installations/{id}/access_tokens``). git runs with a
clean environment (:func:`clean_git_env`), and no run may show a token on its output.
"""

from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.git_server import (
    INFO_REFS,
    MSG_BAD_CREDENTIALS,
    MSG_DUMB_HTTP,
    MSG_NOT_FOUND,
    REALM,
    RECEIVE_PACK,
    UPLOAD_PACK,
    GitServer,
    clean_git_env,
    git_repositories,
    message_permission_denied,
    serve_git,
)
from tests.github_emulator import Exchange, GitHubEmulator, default_world
from tests.runner_harness import secret_forms

#: A credential helper that logs each call's action and answers ``get`` with $GIT_TOKEN.
HELPER = (
    '!f() { echo "$1" >> "$HELPER_LOG"; test "$1" = get || exit 0; cat >/dev/null; '
    'echo username=x-access-token; echo "password=$GIT_TOKEN"; }; f'
)
IDENTITY = {
    "GIT_AUTHOR_NAME": "Token Minter",
    "GIT_AUTHOR_EMAIL": "4242+token-minter[bot]@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "Token Minter",
    "GIT_COMMITTER_EMAIL": "4242+token-minter[bot]@users.noreply.github.com",
}


class Secret(str):
    """A token, or a URL holding one, that a failing test's report shows as ``'***'``."""

    def __repr__(self) -> str:
        return "'***'"


def mint(emulator: GitHubEmulator, owner: str, **body: Any) -> Secret:
    """A new installation token for ``owner``'s installation, from the API, with ``body``
    (``repositories``, ``permissions``) as the create request's."""
    app = emulator.apps[0]
    installation = next(i for i in emulator.installations.values() if i.account.login == owner)
    now = int(emulator.now())
    app_jwt = jwt.encode({"iat": now - 60, "exp": now + 500, "iss": app.client_id}, app.private_key, "RS256")
    created = requests.post(
        f"{emulator.url}/app/installations/{installation.id}/access_tokens",
        json=body,
        headers={"Authorization": f"Bearer {app_jwt}", "Accept": "application/vnd.github+json"},
        timeout=30,
    )
    assert created.status_code == 201, created.json().get("message")
    return Secret(created.json()["token"])


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


class Git:
    """Runs ``git`` in a clean environment; fails a test if any run shows a token (or a form of one).

    Its frames are hidden from failure reports (their arguments hold tokens); messages are redacted.
    """

    def __init__(self, home: Path, server: GitServer) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home, self.server = home, server
        self.env = {**clean_git_env(home), **IDENTITY, "HELPER_LOG": str(home / "helper.log")}

    def _secrets(self) -> list[str]:
        return [form for token in list(self.server.emulator.tokens) for form in secret_forms(token)]

    def _redact(self, text: str) -> str:
        for form in self._secrets():
            text = text.replace(form, "***")
        return text

    def run(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Ran:
        __tracebackhide__ = True
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,  # a bound on a hung run, not a measurement
            check=False,
        )
        shown = done.stdout + done.stderr + "".join(self.server.backend_errors)
        leaked = any(form in shown for form in self._secrets())  # a bool: the report shows no token
        assert not leaked, f"git {self._redact(' '.join(args))} showed a token"
        return Ran(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
        __tracebackhide__ = True
        ran = self.run(*args, cwd=cwd, env=env)
        assert ran.returncode == 0, f"git {self._redact(' '.join(args))} failed:\n{ran.stderr}"
        return ran.stdout

    def fails(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
        __tracebackhide__ = True
        ran = self.run(*args, cwd=cwd, env=env)
        assert ran.returncode != 0, f"git {self._redact(' '.join(args))} succeeded:\n{ran.stderr}"
        return ran.stderr

    def helper_log(self) -> list[str]:
        log = self.home / "helper.log"
        return log.read_text().split() if log.exists() else []


def with_helper(token: Secret) -> tuple[list[str], dict[str, str]]:
    """``-c`` options that make git ask :data:`HELPER`, and the environment that gives it ``token``."""
    return ["-c", "credential.helper=", "-c", f"credential.helper={HELPER}"], {"GIT_TOKEN": token}


@pytest.fixture
def server(emulator: GitHubEmulator, tmp_path: Path) -> GitServer:
    return serve_git(emulator, tmp_path / "git")


@pytest.fixture
def git(tmp_path: Path, server: GitServer) -> Git:
    return Git(tmp_path / "home", server)


def presents(exchange: Exchange, token: str) -> bool:
    """Whether the request carried ``Authorization: Basic base64(x-access-token:TOKEN)`` (a bool, so
    that a failing assertion shows no token)."""
    scheme, _, value = exchange.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "basic" and base64.b64decode(value).decode() == f"x-access-token:{token}"


def test_clone_with_a_read_token_in_the_url(server: GitServer, git: Git, tmp_path: Path) -> None:
    """The documented form, ``https://x-access-token:TOKEN@HOST/OWNER/REPO.git``: git is challenged
    first (curl sends no credential unasked), then presents the token as the Basic password."""
    token = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "read"})
    clone = tmp_path / "app"
    git.ok("clone", "--quiet", Secret(server.credential_url("octo-org", "app", token)), str(clone))
    assert (clone / "README.md").read_text() == "# app\n"
    assert git.ok("rev-parse", "HEAD", cwd=clone).strip() == server.refs("octo-org", "app")["refs/heads/main"]
    exchanges = server.exchanges()
    first = exchanges[0]
    assert (first.operation, first.query, first.status) == (INFO_REFS, "service=git-upload-pack", 401)
    assert first.response_headers["WWW-Authenticate"] == REALM
    assert "Authorization" not in first.headers
    answered = exchanges[1:]
    assert answered and all(e.status == 200 for e in answered)
    assert all(presents(e, token) for e in answered)
    assert [e.operation for e in answered].count(UPLOAD_PACK) >= 1


def test_push_needs_contents_write(server: GitServer, git: Git, tmp_path: Path) -> None:
    """A read-only token fetches but is refused the push advertisement, with GitHub's 403 text."""
    token = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "read"})
    options, env = with_helper(token)
    clone = tmp_path / "app"
    git.ok(*options, "clone", "--quiet", server.url("octo-org", "app"), str(clone), env=env)
    before = server.refs("octo-org", "app")
    git.ok("commit", "--quiet", "--allow-empty", "-m", "Not allowed", cwd=clone)
    stderr = git.fails(*options, "push", "origin", "main", cwd=clone, env=env)
    repository = server.repository("octo-org", "app")
    assert f"remote: {message_permission_denied(repository, 'token-minter')}" in stderr
    assert "remote: Permission to octo-org/app.git denied to token-minter[bot]." in stderr
    assert "The requested URL returned error: 403" in stderr
    assert server.refs("octo-org", "app") == before
    refused = [e for e in server.exchanges() if e.status == 403]
    assert [(e.operation, e.query) for e in refused] == [(INFO_REFS, "service=git-receive-pack")]
    assert not server.emulator.requests_to("POST", RECEIVE_PACK)


def test_push_a_commit_and_fetch_it_back(server: GitServer, git: Git, tmp_path: Path) -> None:
    writer = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "write"})
    reader = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "read"})
    read_options, read_env = with_helper(reader)
    other = tmp_path / "other"
    git.ok(*read_options, "clone", "--quiet", server.url("octo-org", "app"), str(other), env=read_env)
    write_options, write_env = with_helper(writer)
    clone = tmp_path / "app"
    git.ok(*write_options, "clone", "--quiet", server.url("octo-org", "app"), str(clone), env=write_env)
    (clone / "build.txt").write_text("stamp\n")
    git.ok("add", "build.txt", cwd=clone)
    git.ok("commit", "--quiet", "-m", "Update build stamp", cwd=clone)
    pushed = git.ok("rev-parse", "HEAD", cwd=clone).strip()
    git.ok(*write_options, "push", "--quiet", "origin", "main", cwd=clone, env=write_env)
    assert server.refs("octo-org", "app")["refs/heads/main"] == pushed
    assert server.git("octo-org", "app", "log", "--format=%s", "main").splitlines() == [
        "Update build stamp",
        "Initial commit",
    ]
    assert [e.status for e in server.emulator.requests_to("POST", RECEIVE_PACK)] == [200]
    git.ok(*read_options, "fetch", "--quiet", "origin", cwd=other, env=read_env)
    assert git.ok("rev-parse", "origin/main", cwd=other).strip() == pushed
    assert git.ok("show", "origin/main:build.txt", cwd=other) == "stamp\n"


@pytest.mark.parametrize(
    ("owner", "repo"),
    [
        ("octo-org", "infra"),  # in the installation, not among the token's repositories
        ("octo-org", "docs"),  # the organization's, not selected for the installation
        ("octocat", "blog"),  # another installation's
        ("stranger-org", "secret"),  # no installation at all
        ("octo-org", "nope"),  # no such repository
    ],
)
def test_repositories_outside_the_token_are_not_found(
    server: GitServer, git: Git, tmp_path: Path, owner: str, repo: str
) -> None:
    """Fetch and push alike: GitHub does not tell a token whether the repository exists."""
    token = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "write"})
    options, env = with_helper(token)
    clone = tmp_path / "app"
    git.ok(*options, "clone", "--quiet", server.url("octo-org", "app"), str(clone), env=env)  # its own: reached
    seen = len(server.exchanges())
    url = server.url(owner, repo)
    for args in (["ls-remote", url], ["push", url, "HEAD:refs/heads/x"]):
        stderr = git.fails(*options, *args, cwd=clone, env=env)
        assert f"remote: {MSG_NOT_FOUND}" in stderr
        assert f"fatal: repository '{url}/' not found" in stderr
    refused = server.exchanges()[seen:]
    assert [(e.query, e.status) for e in refused] == [
        ("service=git-upload-pack", 401),
        ("service=git-upload-pack", 404),
        ("service=git-receive-pack", 401),
        ("service=git-receive-pack", 404),
    ]


def test_a_token_without_contents_cannot_fetch_a_private_repository(server: GitServer, git: Git) -> None:
    token = mint(server.emulator, "octo-org", repositories=["app"], permissions={"issues": "write"})
    options, env = with_helper(token)
    stderr = git.fails(*options, "ls-remote", server.url("octo-org", "app"), env=env)
    assert f"remote: {MSG_NOT_FOUND}" in stderr
    assert server.exchanges()[-1].status == 404


def test_an_expired_token_is_refused(server: GitServer, git: Git) -> None:
    """Time is the emulator's (its ``clock_offset``): no waiting for the hour to pass."""
    token = mint(server.emulator, "octocat", repositories=["blog"])
    options, env = with_helper(token)
    url = server.url("octocat", "blog")
    lifetime = server.emulator.token_lifetime
    server.emulator.clock_offset = lifetime - 600  # ten minutes before the expiry: still good
    git.ok(*options, "ls-remote", url, env=env)
    server.emulator.clock_offset = lifetime + 1
    stderr = git.fails(*options, "ls-remote", url, env=env)
    assert f"remote: {MSG_BAD_CREDENTIALS}" in stderr
    assert f"fatal: Authentication failed for '{url}/'" in stderr
    last = server.exchanges()[-1]
    assert last.status == 401 and last.response_headers["WWW-Authenticate"] == REALM
    assert presents(last, token)
    assert git.helper_log()[-2:] == ["get", "erase"]  # git drops the refused credential


def test_a_revoked_token_is_refused(server: GitServer, git: Git, tmp_path: Path) -> None:
    token = mint(server.emulator, "octo-org", repositories=["app"])
    url = Secret(server.credential_url("octo-org", "app", token))
    git.ok("ls-remote", url)
    revoked = requests.delete(
        server.emulator.url + "/installation/token",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"},
        timeout=30,
    )
    assert revoked.status_code == 204
    stderr = git.fails("ls-remote", url)
    assert f"remote: {MSG_BAD_CREDENTIALS}" in stderr
    assert "fatal: Authentication failed for" in stderr
    assert server.exchanges()[-1].status == 401


def test_no_credential_or_a_bearer_header_gets_the_basic_challenge(server: GitServer, git: Git) -> None:
    """Without a credential helper, git cannot answer the challenge; a Bearer header is no answer."""
    token = mint(server.emulator, "octo-org", repositories=["app"])
    url = server.url("octo-org", "app")
    stderr = git.fails("ls-remote", url)
    assert "could not read Username" in stderr and "terminal prompts disabled" in stderr
    env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader"}
    env["GIT_CONFIG_VALUE_0"] = Secret(f"Authorization: Bearer {token}")
    stderr = git.fails("ls-remote", url, env=env)
    assert "could not read Username" in stderr
    challenged = server.exchanges()
    assert [e.status for e in challenged] == [401, 401]
    assert all(e.response_headers["WWW-Authenticate"] == REALM for e in challenged)
    assert challenged[1].headers["Authorization"].startswith("Bearer ")


def test_the_credential_helper_is_asked_after_the_challenge(server: GitServer, git: Git, tmp_path: Path) -> None:
    token = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "read"})
    options, env = with_helper(token)
    git.ok(*options, "clone", "--quiet", server.url("octo-org", "app"), str(tmp_path / "app"), env=env)
    assert git.helper_log() == ["get", "store"]  # asked once, told it worked
    exchanges = server.exchanges()
    assert exchanges[0].status == 401 and "Authorization" not in exchanges[0].headers
    assert all(presents(e, token) for e in exchanges[1:])
    assert {e.status for e in exchanges[1:]} == {200}
    # A helper with a wrong token: asked, refused, told to forget it.
    bad_options, bad_env = with_helper(Secret("ghs_" + "x" * 36))
    stderr = git.fails(*bad_options, "ls-remote", server.url("octo-org", "app"), env=bad_env)
    assert f"remote: {MSG_BAD_CREDENTIALS}" in stderr
    assert git.helper_log() == ["get", "store", "get", "erase"]


def test_gzip_request_bodies(server: GitServer, git: Git, tmp_path: Path) -> None:
    """git gzips an upload-pack request over 1 KiB (here 41 wants); http-backend inflates it."""
    main = server.refs("octo-org", "app")["refs/heads/main"]
    stream = "".join(
        f"commit refs/heads/topic-{n:02}\ncommitter E <e@example.com> 1767225600 +0000\n"
        f"data {len(f'Topic {n:02}')}\nTopic {n:02}\nfrom {main}\n\n"
        for n in range(40)
    )
    server.git("octo-org", "app", "fast-import", "--quiet", input=stream.encode())
    token = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "read"})
    options, env = with_helper(token)
    clone = tmp_path / "app"
    git.ok(*options, "clone", "--quiet", server.url("octo-org", "app"), str(clone), env=env)
    zipped = [e for e in server.emulator.requests_to("POST", UPLOAD_PACK) if e.headers.get("Content-Encoding")]
    assert zipped and {(e.headers["Content-Encoding"], e.status) for e in zipped} == {("gzip", 200)}
    listing = git.ok("for-each-ref", "--format=%(refname:lstrip=3) %(objectname)", "refs/remotes/origin", cwd=clone)
    fetched = dict(line.split(" ") for line in listing.splitlines() if not line.startswith("HEAD "))
    assert fetched == {name.removeprefix("refs/heads/"): sha for name, sha in server.refs("octo-org", "app").items()}
    assert len(fetched) == 41


def test_urls_without_dot_git_and_in_any_case(server: GitServer, git: Git) -> None:
    token = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "read"})
    options, env = with_helper(token)
    main = server.refs("octo-org", "app")["refs/heads/main"]
    for url in (server.base_url + "/octo-org/app", server.url("Octo-Org", "APP")):
        assert git.ok(*options, "ls-remote", url, "refs/heads/main", env=env).split() == [main, "refs/heads/main"]


def test_public_repositories_are_fetched_without_a_credential(server: GitServer, git: Git, tmp_path: Path) -> None:
    server.repository("octo-org", "docs").private = False
    url = server.url("octo-org", "docs")
    clone = tmp_path / "docs"
    git.ok("clone", "--quiet", url, str(clone))
    assert {e.status for e in server.exchanges()} == {200}  # no challenge
    token = mint(server.emulator, "octo-org", repositories=["app"], permissions={"contents": "write"})
    options, env = with_helper(token)
    stderr = git.fails(*options, "push", "origin", "HEAD:refs/heads/x", cwd=clone, env=env)  # not the token's
    assert "remote: Permission to octo-org/docs.git denied to token-minter[bot]." in stderr
    assert server.exchanges()[-1].status == 403
    assert list(server.refs("octo-org", "docs")) == ["refs/heads/main"]


def test_the_dumb_protocol_is_refused(server: GitServer) -> None:
    answer = requests.get(server.url("octo-org", "app") + "/info/refs", timeout=30)
    assert answer.status_code == 403
    assert answer.text == MSG_DUMB_HTTP + "\n"
    assert answer.headers["Content-Type"].startswith("text/plain")


def test_git_repositories_makes_each_with_an_initial_commit(emulator: GitHubEmulator, tmp_path: Path) -> None:
    server = git_repositories(emulator, tmp_path / "git")
    made = sorted(p.relative_to(server.root).as_posix() for p in server.root.glob("*/*.git"))
    assert made == sorted(f"{o}/{n}.git" for (o, n) in emulator.repositories)
    for owner, name in emulator.repositories:
        assert list(server.refs(owner, name)) == ["refs/heads/main"]
        assert server.git(owner, name, "show", "main:README.md") == f"# {server.repository(owner, name).name}\n"
        author = server.git(owner, name, "log", "-1", "--format=%an <%ae> %aI %s", "main").strip()
        assert author == "GitHub Emulator <emulator@github.example> 2026-01-01T00:00:00+00:00 Initial commit"
    with pytest.raises(ValueError, match="already serves git"):
        serve_git(emulator, tmp_path / "again")


def test_enterprise_server_serves_git_at_the_root(app_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    """On GitHub Enterprise Server the API is under /api/v3 and git at https://HOST/OWNER/REPO.git."""
    with GitHubEmulator(prefix="/api/v3") as ghes:
        default_world(ghes, app_key)
        server = serve_git(ghes, tmp_path / "git")
        assert ghes.url == server.base_url + "/api/v3"
        token = mint(ghes, "octo-org", repositories=["app"], permissions={"contents": "read"})
        assert len(token) == 40  # Enterprise Server's classic format
        git = Git(tmp_path / "home", server)
        git.ok("clone", "--quiet", Secret(server.credential_url("octo-org", "app", token)), str(tmp_path / "app"))
        assert (tmp_path / "app" / "README.md").read_text() == "# app\n"
