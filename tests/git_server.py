"""GitHub's smart-HTTP git side, for the emulator: clone, fetch and push with installation tokens.

The emulator (:mod:`tests.github_emulator`) serves git for its repositories on the same server as
its API, as web routes (``GitHubEmulator.add_route(..., web=True)``): one bare repository per
emulator :class:`~tests.github_emulator.Repository`, served by Git's own ``git http-backend``
(the CGI program, run once per request with the CGI environment, the request body on its standard
input). Every request is authenticated and authorized first, as GitHub does for
``https://x-access-token:TOKEN@github.com/OWNER/REPO.git``; each one is recorded in
``emulator.exchanges`` with the operations :data:`INFO_REFS`, :data:`UPLOAD_PACK` and
:data:`RECEIVE_PACK`.

Use from a test::

    server = serve_git(emulator, tmp_path / "git")   # or git_repositories(...): every one made now
    url = server.url("octo-org", "app")               # http://127.0.0.1:PORT/octo-org/app.git
    ... run git against url, with the token as the password (username x-access-token) ...
    server.refs("octo-org", "app")                    # {"refs/heads/main": "<sha>", ...}
    server.git("octo-org", "app", "log", "--format=%s", "main")

What is modelled, and where each fact comes from (GitHub's texts as git shows them, ``remote: ``
lines being the text/plain body of the error answer):

- URLs: ``/OWNER/REPO.git/info/refs?service=git-upload-pack|git-receive-pack``,
  ``POST /OWNER/REPO.git/git-upload-pack`` and ``.../git-receive-pack``, with or without ``.git``;
  owner and repository names are case-insensitive. At the server's root even when the API has a
  prefix: GitHub Enterprise Server's clone URLs are ``https://HOSTNAME/OWNER/REPO.git`` and its REST
  API is under ``https://HOSTNAME/api/v3`` (GitHub Docs, "About remote repositories"; the REST API
  reference for Enterprise Server).
- Credentials: HTTP Basic, the installation token as the password ("use the installation access
  token as the HTTP password ... ``git clone https://x-access-token:TOKEN@github.com/owner/repo.git``",
  the app needing the "Contents" permission: GitHub Docs, "Authenticating as a GitHub App
  installation"); the username is not checked ("GitHub ignores the username whenever the password
  is a valid token", derberg/manage-files-in-multiple-repositories#78). ``Authorization: Bearer`` is not accepted for
  git, though the API takes it: "GitHub supports Bearer tokens for its REST/GraphQL API, but not for
  Git HTTP protocol operations" (entireio/cli#827; LibreChat-AI/code-interpreter#192), and git then
  asks for a username (googleapis/repo-automation-bots#5942), so it is answered as no credential.
- No credential, or a token that is unknown, tampered with, expired or revoked: 401 with
  ``WWW-Authenticate: Basic realm="GitHub"``, so that git asks its credential helper and retries,
  and :data:`MSG_BAD_CREDENTIALS`, "remote: Invalid username or token. Password authentication is
  not supported for Git operations." then "fatal: Authentication failed for ..."
  (gitextensions/gitextensions#12876, 2026).
- A repository that does not exist, or is outside the token's installation or the token's
  ``repositories``, or (private) whose contents the token may not read: 404 and
  :data:`MSG_NOT_FOUND`, "remote: Repository not found." then "fatal: repository '...' not found"
  (actions/checkout#395, an installation token; with no ``contents`` permission: Azure/login#169,
  rucio/rucio#8423). GitHub does not say which: that would tell a stranger the repository exists.
- Push (``info/refs?service=git-receive-pack`` and ``POST git-receive-pack``) without
  ``contents: write``: 403 and "remote: Permission to OWNER/REPO.git denied to APP-SLUG[bot]." then
  "fatal: unable to access '...': The requested URL returned error: 403" (an app's token:
  microsoft/TypeChat#361, "denied to typeagent-bot[bot]"; the github-actions app's:
  ad-m/github-push-action#55). Fine-grained personal access tokens get "Write access to repository
  not granted." (IIC2143/Syllabus-2023-1#14); the reports with installation tokens show the
  "denied to ...[bot]" text, which is what is modelled (langchain-ai/open-swe#1599 shows the other
  text around an app's token, but which credential git sent there is unclear).
- Public repositories (``Repository.private = False``) are fetched without a credential, and with a
  token of any installation ("a public checkout does not require the token's contents scope",
  dokimos-dev/dokimos#145); pushing to one still needs a token with ``contents: write`` on it.
- The dumb HTTP protocol (``info/refs`` without ``service``): 403, "Please upgrade your git client.
  GitHub.com no longer supports git over dumb-http: ..." (openedx-unsupported/configuration#847).

Not modelled: suspended installations, branch protection and rulesets, the ``workflows``
permission for pushes that change ``.github/workflows`` ("refusing to allow a GitHub App to create
or update workflow ... without `workflows` permission", ambient-code/platform#937), Git LFS, SSH.

Bounded: each CGI run is killed after ``timeout`` seconds (answered 504); the module starts no
thread or process that outlives a request.
"""

from __future__ import annotations

import base64
import binascii
import os
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.github_emulator import LEVEL_RANK, Exchange, GitHubEmulator, Reply, Repository

#: Git's CGI program (Debian's git package).
BACKEND = "/usr/lib/git-core/git-http-backend"
#: Seconds one ``git http-backend`` (or set-up ``git``) run may take before it is killed.
BACKEND_TIMEOUT = 60.0
#: The operations git requests are recorded under (``Exchange.operation``).
INFO_REFS = "/{owner}/{repo}.git/info/refs"
UPLOAD_PACK = "/{owner}/{repo}.git/git-upload-pack"
RECEIVE_PACK = "/{owner}/{repo}.git/git-receive-pack"
UPLOAD, RECEIVE = "git-upload-pack", "git-receive-pack"
REALM = 'Basic realm="GitHub"'
TEXT = "text/plain; charset=utf-8"
MSG_BAD_CREDENTIALS = "Invalid username or token. Password authentication is not supported for Git operations."
MSG_NOT_FOUND = "Repository not found."
MSG_DUMB_HTTP = (
    "Please upgrade your git client.\n"
    "GitHub.com no longer supports git over dumb-http: "
    "https://github.com/blog/809-git-dumb-http-transport-to-be-turned-off-in-90-days"
)
#: The identity every initial commit is made with, at a fixed date (so commit IDs are stable).
SEED_IDENTITY = {
    "GIT_AUTHOR_NAME": "GitHub Emulator",
    "GIT_AUTHOR_EMAIL": "emulator@github.example",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "GitHub Emulator",
    "GIT_COMMITTER_EMAIL": "emulator@github.example",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}
_REPO = r"/(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?"


def message_permission_denied(repository: Repository, app_slug: str) -> str:
    """GitHub's refusal of a push by an app's token without ``contents: write``, as git shows it after
    ``remote: `` (microsoft/TypeChat#361): ``Permission to OWNER/REPO.git denied to SLUG[bot].``"""
    return f"Permission to {repository.owner.login}/{repository.name}.git denied to {app_slug}[bot]."


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, raw=(message + "\n").encode(), content_type=TEXT, headers=headers)


def basic_password(authorization: str) -> str | None:
    """The password of an ``Authorization: Basic base64(user:password)`` header (None: no Basic
    credential with a password; the username is ignored, as GitHub ignores it for tokens)."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _user, colon, password = decoded.partition(":")
    return password if colon and password else None


def clean_git_env(home: Path) -> dict[str, str]:
    """An environment for running ``git`` untouched by the machine's configuration: ``HOME`` and
    ``XDG_CONFIG_HOME`` in ``home``, no system or global config file, no prompts, C locale, and the
    caller's ``PATH`` (nothing else inherited: no proxies, askpass programs or credential helpers)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }


@dataclass
class GitServer:
    """Bare repositories under ``root`` (``root/<owner>/<repo>.git``, lower case), served by
    ``git http-backend`` for ``emulator``. Make one with :func:`serve_git` or :func:`git_repositories`.

    ``backend_errors`` collects what ``git http-backend`` wrote on its standard error (it never sees
    a credential: the ``Authorization`` header is not passed to it).
    """

    emulator: GitHubEmulator
    root: Path
    timeout: float = BACKEND_TIMEOUT
    backend: str = BACKEND
    backend_errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- addresses --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https`` with an SSL context): the web root, where git is
        served, without the API prefix (GitHub Enterprise Server's ``/api/v3``). The emulator must
        be running."""
        scheme = "https" if self.emulator.ssl_context else "http"
        return f"{scheme}://{self.emulator.host}:{self.emulator.port}"

    def url(self, owner: str, repo: str) -> str:
        """The clone URL of ``owner/repo``: ``{base_url}/OWNER/REPO.git`` (as ``clone_url`` on GitHub)."""
        return f"{self.base_url}/{owner}/{repo}.git"

    def credential_url(self, owner: str, repo: str, token: str) -> str:
        """The clone URL with the token in it, as GitHub documents for installation tokens:
        ``http://x-access-token:TOKEN@127.0.0.1:PORT/OWNER/REPO.git``. It holds a secret: pass it to
        git through the environment or a file, not on a command line that a failure message shows."""
        scheme, _, rest = self.url(owner, repo).partition("://")
        return f"{scheme}://x-access-token:{urllib.parse.quote(token, safe='')}@{rest}"

    # -- repositories on disk ---------------------------------------------------------------
    def repository(self, owner: str, repo: str) -> Repository:
        """The emulator's repository ``owner/repo`` (case-insensitive); KeyError if it has none."""
        return self.emulator.repositories[(owner.lower(), repo.lower())]

    def path(self, owner: str, repo: str) -> Path:
        """The bare repository of ``owner/repo``, made (with its initial commit) if not yet there.
        KeyError if the emulator has no such repository."""
        return self._ensure(self.repository(owner, repo))

    def git(self, owner: str, repo: str, *args: str, input: bytes | None = None) -> str:
        """Run ``git ARGS`` in the bare repository of ``owner/repo``; its standard output.

        Raises ``subprocess.CalledProcessError`` (git failed) or ``subprocess.TimeoutExpired``
        (after ``timeout`` seconds).
        """
        return self._git(self.path(owner, repo), *args, input=input).decode()

    def refs(self, owner: str, repo: str) -> dict[str, str]:
        """Every ref of ``owner/repo`` and the object it names: ``{"refs/heads/main": "<40 hex>"}``."""
        listing = self.git(owner, repo, "for-each-ref", "--format=%(refname) %(objectname)")
        pairs = (line.partition(" ") for line in listing.splitlines())
        return {name: sha for name, _, sha in pairs}

    def exchanges(self) -> list[Exchange]:
        """The emulator's recorded git requests (info/refs, upload-pack, receive-pack), in order."""
        return [e for e in self.emulator.exchanges if e.operation in (INFO_REFS, UPLOAD_PACK, RECEIVE_PACK)]

    def _git_env(self) -> dict[str, str]:
        return clean_git_env(self.root)

    def _git(self, where: Path, *args: str, input: bytes | None = None) -> bytes:
        done = subprocess.run(
            ["git", "-C", str(where), *args],
            input=input,
            capture_output=True,
            env={**self._git_env(), **SEED_IDENTITY},
            timeout=self.timeout,
            check=True,
        )
        return done.stdout

    def _ensure(self, repository: Repository) -> Path:
        """Make the bare repository of ``repository`` on first use: ``main`` holding one commit,
        "Initial commit", with a ``README.md`` of ``# NAME``; pushes enabled (``http.receivepack``)."""
        where = self.root / repository.owner.login.lower() / f"{repository.name.lower()}.git"
        with self._lock:
            if (where / "HEAD").exists():
                return where
            where.parent.mkdir(parents=True, exist_ok=True)
            partial = where.with_name(where.name + ".new")
            subprocess.run(
                ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(partial)],
                env=self._git_env(),
                capture_output=True,
                timeout=self.timeout,
                check=True,
            )
            self._git(partial, "config", "http.receivepack", "true")
            blob = self._git(partial, "hash-object", "-w", "--stdin", input=f"# {repository.name}\n".encode())
            tree = self._git(partial, "mktree", input=b"100644 blob " + blob.strip() + b"\tREADME.md\n")
            commit = self._git(partial, "commit-tree", "-m", "Initial commit", tree.strip().decode())
            self._git(partial, "update-ref", "refs/heads/main", commit.strip().decode())
            partial.rename(where)
            return where

    # -- the routes -------------------------------------------------------------------------
    def _info_refs(self, request: BaseHTTPRequestHandler, exchange: Exchange, owner: str, repo: str) -> Reply:
        service = urllib.parse.parse_qs(exchange.query).get("service", [""])[0]
        if service not in (UPLOAD, RECEIVE):
            return _text(403, MSG_DUMB_HTTP)
        repository, user = self._authorize(request, owner, repo, service)
        return self._cgi(request, exchange, repository, user, "/info/refs")

    def _rpc(self, request: BaseHTTPRequestHandler, exchange: Exchange, owner: str, repo: str, service: str) -> Reply:
        repository, user = self._authorize(request, owner, repo, service)
        return self._cgi(request, exchange, repository, user, f"/{service}")

    def _authorize(
        self, request: BaseHTTPRequestHandler, owner: str, repo: str, service: str
    ) -> tuple[Repository, str]:
        """The repository and the CGI ``REMOTE_USER`` (the app's bot, or "" anonymously), or raise
        GitHub's 401, 404 or 403 answer (see the module's docstring)."""
        em = self.emulator
        found = em.repositories.get((owner.lower(), repo.lower()))
        push = service == RECEIVE
        token = basic_password(request.headers.get("Authorization") or "")
        if token is None:
            if found is not None and not found.private and not push:
                return found, ""
            raise _text(401, MSG_BAD_CREDENTIALS, {"WWW-Authenticate": REALM})
        issued = em.token_for(token)
        if issued is None:
            raise _text(401, MSG_BAD_CREDENTIALS, {"WWW-Authenticate": REALM})
        reachable = found is not None and any(
            r is found for r in em.installation_repositories(issued.installation, issued.repositories)
        )
        contents = LEVEL_RANK.get(issued.permissions.get("contents", ""), 0)
        if found is None or (found.private and not (reachable and contents >= LEVEL_RANK["read"])):
            raise _text(404, MSG_NOT_FOUND)
        if push and not (reachable and contents >= LEVEL_RANK["write"]):
            raise _text(403, message_permission_denied(found, issued.installation.app.slug))
        return found, f"{issued.installation.app.slug}[bot]"

    def _cgi(
        self, request: BaseHTTPRequestHandler, exchange: Exchange, repository: Repository, user: str, suffix: str
    ) -> Reply:
        """Run ``git http-backend`` for this request and turn its CGI answer into the reply."""
        where = self._ensure(repository)
        env = {
            **self._git_env(),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": "/" + where.relative_to(self.root).as_posix() + suffix,
            "QUERY_STRING": exchange.query,
            "REQUEST_METHOD": exchange.method,
            "REMOTE_ADDR": str(request.client_address[0]),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        if user:
            env["REMOTE_USER"] = user
        if exchange.method == "POST":
            # The emulator has read (and de-chunked) the whole body, so its length is known.
            env["CONTENT_LENGTH"] = str(len(exchange.raw))
            env["CONTENT_TYPE"] = request.headers.get("Content-Type") or ""
        for header, variable in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "HTTP_GIT_PROTOCOL")):
            value = request.headers.get(header)
            if value:
                env[variable] = value  # http-backend inflates gzip bodies; Git-Protocol selects v2
        try:
            done = subprocess.run(
                [self.backend], input=exchange.raw, env=env, capture_output=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return _text(504, f"git http-backend did not answer within {self.timeout:g} seconds")
        if done.stderr:
            with self._lock:
                self.backend_errors.append(done.stderr.decode("utf-8", "replace"))
        return parse_cgi(done.stdout)


def parse_cgi(output: bytes) -> Reply:
    """A CGI program's output (RFC 3875: header lines, a blank line, the body) as a reply: the status
    from ``Status:`` (200 without one), its ``Content-Type`` and other headers, the body as bytes.
    Output without a header block is answered 502."""
    ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := output.find(sep)) >= 0]
    if not ends:
        return _text(502, "git http-backend gave no CGI header block")
    at, length = min(ends)
    status, headers, content_type = 200, {}, "application/octet-stream"
    for line in output[:at].decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name.lower() == "content-type":
            content_type = value
        elif name:
            headers[name] = value
    return Reply(status, raw=output[at + length :], headers=headers, content_type=content_type)


def serve_git(emulator: GitHubEmulator, root: Path, *, timeout: float = BACKEND_TIMEOUT) -> GitServer:
    """Serve git's smart HTTP protocol for ``emulator``'s repositories from bare repositories under
    ``root`` (a directory the test owns, e.g. ``tmp_path / "git"``), each made on first use.

    Adds the web routes to the emulator (running or not); call once per emulator (ValueError
    otherwise). ``timeout``: seconds a ``git http-backend`` run may take.
    """
    if any(route.operation == INFO_REFS for route in emulator.routes):
        raise ValueError("this emulator already serves git")
    root.mkdir(parents=True, exist_ok=True)
    server = GitServer(emulator, root.resolve(), timeout)
    emulator.add_route("GET", _REPO + "/info/refs", INFO_REFS, server._info_refs, web=True)
    for service, operation in ((UPLOAD, UPLOAD_PACK), (RECEIVE, RECEIVE_PACK)):

        def rpc(request: BaseHTTPRequestHandler, exchange: Exchange, owner: str, repo: str, _s: str = service) -> Reply:
            return server._rpc(request, exchange, owner, repo, _s)

        emulator.add_route("POST", f"{_REPO}/{service}", operation, rpc, web=True)
    return server


def git_repositories(emulator: GitHubEmulator, root: Path, *, timeout: float = BACKEND_TIMEOUT) -> GitServer:
    """:func:`serve_git`, with every repository the emulator has now made at once (an initial commit
    on ``main``); repositories added later are made on first use."""
    server = serve_git(emulator, root, timeout=timeout)
    for repository in list(emulator.repositories.values()):
        server._ensure(repository)
    return server
