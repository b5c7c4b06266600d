"""The emulator as github.com's web side, and the REST operations of ``github-app-token setup``.

An extension of :class:`tests.github_emulator.GitHubEmulator` (its routes, added with ``add_route``):

Web pages (GitHub Docs, "Registering a GitHub App from a manifest" and "Installing your own GitHub App"):
- ``POST /settings/apps/new?state=…`` and ``POST /organizations/{org}/settings/apps/new?state=…`` with
  the form field ``manifest``: the creation page (the manifest's name, editable, and its permissions,
  with a "Create GitHub App" button). The manifest is checked as GitHub checks it (``name`` at most 34
  characters, ``url`` required, ``hook_attributes`` needs its ``url``, known permissions).
- ``POST …/settings/apps/new/create``: creates the app (owned by the signed-in user, or the
  organization, whose admin they must be) and redirects (302) to ``redirect_url?code=…&state=…``.
  The code is good once, for an hour of the emulator's clock.
- ``GET /apps/{slug}/installations/new``: choose an account; ``GET …/installations/new/permissions?target_id=…``:
  the permissions, "All repositories" or "Only select repositories", and "Install";
  ``POST`` there installs and shows the installation's page.

REST operations (``data/github-api/operations.json``): ``POST /app-manifests/{code}/conversions``
(no authentication), ``GET /user`` (``X-OAuth-Scopes`` for classic tokens), ``GET /repos/{owner}/{repo}``,
the Actions secrets (a real NaCl key pair per repository and organization: what is stored is
decrypted, :meth:`GitHubWeb.secret`) and variables of repositories and organizations, and
``POST /repos/{owner}/{repo}/dispatches`` (an installation token with ``contents: write``).

User tokens (:meth:`GitHubWeb.add_user_token`) are classic (``scopes``: ``repo`` for a repository's
secrets and variables, ``admin:org`` for an organization's) or fine-grained (``permissions`` such as
``secrets: write``, ``actions_variables: write``, ``organization_secrets: write``). Who may manage what:
a user manages their own repositories, and an organization's when they are among its ``admins``.
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from nacl.public import PrivateKey, SealedBox

from github_app_token.permission_levels import PERMISSION_LEVELS
from tests.github_emulator import (
    Account,
    App,
    Exchange,
    GitHubEmulator,
    Installation,
    Reply,
    error_reply,
    generate_private_key,
    iso,
    pem_pkcs1,
)

CODE_LIFETIME = 3600.0
MSG_NOT_ACCESSIBLE = "Resource not accessible by personal access token"
MSG_REQUIRES_AUTH = "Requires authentication"
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:44em;margin:2em auto;color:#1f2328}"
    "header{background:#24292f;color:#fff;padding:.6em 1em;margin-bottom:1.5em}"
    "button{font-size:1em;padding:.5em 1.2em;background:#1f883d;color:#fff;border:0;border-radius:6px}"
    ".error{color:#d1242f}code{background:#f6f8fa;padding:.1em .3em}"
)


@dataclass
class UserToken:
    """A user's token: classic (``scopes``) or fine-grained (``scopes`` None, ``permissions``)."""

    login: str
    scopes: frozenset[str] | None = None
    permissions: dict[str, str] = field(default_factory=dict)


@dataclass
class ManifestCode:
    """A code from the manifest flow: good once, until ``expires_at`` (emulator clock)."""

    app: App
    expires_at: float
    used: bool = False


@dataclass
class StoredSecret:
    encrypted_value: str
    key_id: str
    visibility: str | None = None
    selected_repository_ids: list[int] | None = None


@dataclass
class KeyPair:
    key_id: str
    private_key: PrivateKey


def _page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    text = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · GitHub</title>'
        f"<style>{_STYLE}</style></head><body><header>GitHub (emulated)</header>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Reply(status, headers=headers, raw=text.encode(), content_type="text/html; charset=utf-8")


def _form(raw: bytes) -> dict[str, str]:
    return {key: values[0] for key, values in urllib.parse.parse_qs(raw.decode()).items()}


class GitHubWeb:
    """The web side and the setup operations of one emulator (see the module's docstring).

    ``signed_in`` is the login of the user signed in on the web side; ``admins`` maps an
    organization's login to its admins' logins. ``codes``, ``secrets`` and ``variables`` are what
    the flow created (keys: a REST base such as ``/repos/octo-org/app`` or ``/orgs/octo-org``).
    ``owner_of_new_apps``, when set, is the login of the account every app created on the web side
    belongs to, whatever the form asked: a way to make GitHub's conversion answer name another owner
    than the one setup asked for (for a personal app, a browser signed in as another user does it too).
    """

    def __init__(self, emulator: GitHubEmulator, signed_in: str = "octocat") -> None:
        self.emulator = emulator
        self.signed_in = signed_in
        self.admins: dict[str, set[str]] = {}
        self.user_tokens: dict[str, UserToken] = {}
        self.codes: dict[str, ManifestCode] = {}
        self.keys: dict[str, KeyPair] = {}
        self.secrets: dict[tuple[str, str], StoredSecret] = {}
        self.variables: dict[tuple[str, str], dict[str, Any]] = {}
        self.dispatches: list[tuple[str, str, dict[str, Any]]] = []
        self.public_apps: set[int] = set()
        self.owner_of_new_apps: str | None = None
        add = emulator.add_route
        org = r"/organizations/(?P<org>[A-Za-z0-9-]+)"
        add("POST", r"/settings/apps/new", "web: new app", self.new_app_page, web=True)
        add("POST", org + r"/settings/apps/new", "web: new org app", self.new_app_page, web=True)
        add("POST", r"/settings/apps/new/create", "web: create app", self.create_app, web=True)
        add("POST", org + r"/settings/apps/new/create", "web: create org app", self.create_app, web=True)
        apps = r"/apps/(?P<slug>[a-z0-9-]+)/installations/new"
        add("GET", apps, "web: choose account", self.choose_account, web=True)
        add("GET", apps + "/permissions", "web: install", self.install_page, web=True)
        add("POST", apps + "/permissions", "web: install", self.install, web=True)
        add("POST", r"/app-manifests/(?P<code>[^/]+)/conversions", "/app-manifests/{code}/conversions", self.convert)
        add("GET", r"/user", "/user", self.user)
        repo = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
        orgs = r"/orgs/(?P<org>[^/]+)"
        add("GET", repo, "/repos/{owner}/{repo}", self.get_repository)
        add("GET", repo + "/actions/secrets/public-key", "/repos/{owner}/{repo}/actions/secrets/public-key", self.key)
        add("GET", orgs + "/actions/secrets/public-key", "/orgs/{org}/actions/secrets/public-key", self.key)
        add(
            "PUT",
            repo + "/actions/secrets/(?P<name>[^/]+)",
            "/repos/{owner}/{repo}/actions/secrets/{secret_name}",
            self.put_secret,
        )
        add(
            "PUT",
            orgs + "/actions/secrets/(?P<name>[^/]+)",
            "/orgs/{org}/actions/secrets/{secret_name}",
            self.put_secret,
        )
        add("POST", repo + "/actions/variables", "/repos/{owner}/{repo}/actions/variables", self.create_variable)
        add("POST", orgs + "/actions/variables", "/orgs/{org}/actions/variables", self.create_variable)
        add(
            "PATCH",
            repo + "/actions/variables/(?P<name>[^/]+)",
            "/repos/{owner}/{repo}/actions/variables/{name}",
            self.update_variable,
        )
        add(
            "PATCH",
            orgs + "/actions/variables/(?P<name>[^/]+)",
            "/orgs/{org}/actions/variables/{name}",
            self.update_variable,
        )
        add("POST", repo + "/dispatches", "/repos/{owner}/{repo}/dispatches", self.dispatch)

    # -- the world ---------------------------------------------------------------------------
    @property
    def root(self) -> str:
        """The web side's base URL (the server without the API prefix)."""
        return self.emulator.url.removesuffix(self.emulator.prefix) if self.emulator.prefix else self.emulator.url

    def add_user_token(
        self, login: str, scopes: set[str] | frozenset[str] | None = None, permissions: dict[str, str] | None = None
    ) -> str:
        """A new user token of ``login``: classic with ``scopes``, or fine-grained with ``permissions``."""
        token = "ghp_" + secrets.token_hex(18) if scopes is not None else "github_pat_" + secrets.token_hex(30)
        self.user_tokens[token] = UserToken(login, None if scopes is None else frozenset(scopes), permissions or {})
        return token

    def key_pair(self, base: str) -> KeyPair:
        """The Actions secrets key pair of a repository or organization (made when first asked for)."""
        if base not in self.keys:
            self.keys[base] = KeyPair(str(secrets.randbelow(10**18)), PrivateKey.generate())
        return self.keys[base]

    def secret(self, base: str, name: str) -> str:
        """A stored secret, decrypted with the key pair it was sealed for."""
        stored = self.secrets[(base, name.upper())]
        box = SealedBox(self.key_pair(base).private_key)
        return box.decrypt(base64.b64decode(stored.encrypted_value)).decode()

    def created_apps(self) -> list[App]:
        return [app for app in self.emulator.apps if any(code.app is app for code in self.codes.values())]

    # -- authentication ---------------------------------------------------------------------------
    def _user(self, request: Any) -> UserToken:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if not value:
            raise error_reply(401, MSG_REQUIRES_AUTH)
        found = self.user_tokens.get(value.strip()) if scheme.lower() in ("bearer", "token") else None
        if found is None:
            raise error_reply(401, "Bad credentials")
        return found

    def _is_admin(self, login: str, owner: str) -> bool:
        account = self.emulator.accounts.get(owner.lower())
        if account is None:
            return False
        if account.type == "User":
            return account.login.casefold() == login.casefold()
        return login.casefold() in {admin.casefold() for admin in self.admins.get(account.login, set())}

    def _allow(self, request: Any, base: str, owner: str, scope: str, permission: str, level: str) -> UserToken:
        """The token, if it may act on ``base`` of ``owner`` (classic ``scope`` or fine-grained ``permission``)."""
        user = self._user(request)
        if base.startswith("/repos/"):
            name = base.split("/")[3]
            if (owner.lower(), name.lower()) not in self.emulator.repositories:
                raise error_reply(404, "Not Found")
        elif owner.lower() not in self.emulator.accounts:
            raise error_reply(404, "Not Found")
        if user.scopes is not None:
            if scope not in user.scopes:
                # Without the scope GitHub hides the repository (404), or refuses the organization's (403).
                raise error_reply(404 if base.startswith("/repos/") else 403, "Not Found")
        else:
            rank = {"read": 1, "write": 2, "admin": 3}
            if rank.get(user.permissions.get(permission, ""), 0) < rank[level]:
                raise error_reply(403, MSG_NOT_ACCESSIBLE)
        if not self._is_admin(user.login, owner):
            raise error_reply(
                403, "Must have admin rights to Repository." if base.startswith("/repos/") else "Not Found"
            )
        return user

    # -- web: registering an app from a manifest ------------------------------------------------
    def _org_admin(self, org: str | None) -> Account | None:
        """The account the app is created for: the signed-in user's, or ``org`` (404 unless an admin)."""
        if org is None:
            return self.emulator.accounts.get(self.signed_in.lower())
        account = self.emulator.accounts.get(org.lower())
        if account is None or account.type != "Organization" or not self._is_admin(self.signed_in, org):
            return None
        return account

    def _manifest_problem(self, manifest: Any, name: str) -> str:
        if not isinstance(manifest, dict):
            return "The manifest is not a JSON object."
        if not name or len(name) > 34:
            return "Name is too long (maximum is 34 characters)" if name else "Name can't be blank"
        if any(app.slug == _slug(name) for app in self.emulator.apps):
            return "Name is already in use"
        if not manifest.get("url"):
            return '"url" wasn\'t supplied.'
        hook = manifest.get("hook_attributes")
        if hook is not None and (not isinstance(hook, dict) or not hook.get("url")):
            return '"url" wasn\'t supplied.'
        if not str(manifest.get("redirect_url") or "").startswith(("http://", "https://")):
            return "redirect_url must be a URL."
        permissions = manifest.get("default_permissions") or {}
        if not isinstance(permissions, dict):
            return "default_permissions must be an object."
        for permission, level in permissions.items():
            if level not in PERMISSION_LEVELS.get(permission, ()):
                return f"Default permission records {permission} is not a valid permission"
        return ""

    def new_app_page(self, request: Any, exchange: Exchange, org: str | None = None) -> Reply:
        account = self._org_admin(org)
        if account is None:
            return _page("Page not found", "<p>This is not the page you are looking for.</p>", 404)
        fields = _form(exchange.raw)
        try:
            manifest = json.loads(fields.get("manifest", ""))
        except ValueError:
            manifest = None
        name = str(manifest.get("name", "")) if isinstance(manifest, dict) else ""
        problem = self._manifest_problem(manifest, name)
        state = urllib.parse.parse_qs(exchange.query).get("state", [""])[0]
        if problem:
            return _page("Create GitHub App", f'<p class="error" id="error">{html.escape(problem)}</p>', 422)
        assert isinstance(manifest, dict)
        rows = "".join(
            f"<li><code>{html.escape(p)}</code>: {html.escape(str(level))}</li>"
            for p, level in {"metadata": "read", **(manifest.get("default_permissions") or {})}.items()
        )
        action = request.path.split("?")[0] + "/create?" + urllib.parse.urlencode({"state": state})
        body = (
            f"<p>Create a GitHub App for <strong>{html.escape(account.login)}</strong> from a manifest.</p>"
            f'<form method="post" action="{html.escape(action)}">'
            f'<label>GitHub App name <input name="name" id="name" value="{html.escape(name)}"></label>'
            f"<p>Homepage: {html.escape(str(manifest.get('url')))}</p>"
            f"<p>Webhook: {'active' if manifest.get('hook_attributes') else 'none'}</p>"
            f"<p>Permissions:</p><ul id='permissions'>{rows}</ul>"
            f'<input type="hidden" name="manifest" value="{html.escape(json.dumps(manifest))}">'
            f'<button type="submit" id="create">Create GitHub App for {html.escape(account.login)}</button></form>'
        )
        return _page("Create GitHub App", body)

    def create_app(self, request: Any, exchange: Exchange, org: str | None = None) -> Reply:
        account = self._org_admin(org)
        if account is None:
            return _page("Page not found", "<p>This is not the page you are looking for.</p>", 404)
        fields = _form(exchange.raw)
        try:
            manifest = json.loads(fields.get("manifest", ""))
        except ValueError:
            manifest = None
        name = fields.get("name", "").strip() or (str(manifest.get("name", "")) if isinstance(manifest, dict) else "")
        problem = self._manifest_problem(manifest, name)
        if problem:
            return _page("Create GitHub App", f'<p class="error" id="error">{html.escape(problem)}</p>', 422)
        assert isinstance(manifest, dict)
        em = self.emulator
        if self.owner_of_new_apps is not None:
            account = em.accounts[self.owner_of_new_apps.lower()]
        permissions = {"metadata": "read", **(manifest.get("default_permissions") or {})}
        app_id = em._id()
        client_id = "Iv23li" + secrets.token_hex(7)
        app = App(app_id, client_id, _slug(name), name, account, generate_private_key(), permissions)
        em.apps.append(app)
        if manifest.get("public") is True:
            self.public_apps.add(app_id)
        code = secrets.token_hex(20)
        self.codes[code] = ManifestCode(app, em.now() + CODE_LIFETIME)
        state = urllib.parse.parse_qs(exchange.query).get("state", [""])[0]
        query = urllib.parse.urlencode({"code": code, "state": state})
        return Reply(302, headers={"Location": f"{manifest['redirect_url']}?{query}"}, raw=b"")

    # -- web: installing ----------------------------------------------------------------------
    def _app(self, slug: str) -> App | None:
        return next((app for app in self.emulator.apps if app.slug == slug), None)

    def _installable(self, app: App) -> list[Account]:
        """The accounts the signed-in user may install ``app`` on: those they administer; for a private
        app only its owner's (GitHub Docs, "Making a GitHub App public or private")."""
        mine = [
            account
            for account in self.emulator.accounts.values()
            if account.type in ("User", "Organization") and self._is_admin(self.signed_in, account.login)
        ]
        if app.id in self.public_apps:
            return mine
        return [account for account in mine if account.login.casefold() == app.owner.login.casefold()]

    def choose_account(self, request: Any, exchange: Exchange, slug: str) -> Reply:
        app = self._app(slug)
        if app is None:
            return _page("Page not found", "<p>No such app.</p>", 404)
        links = "".join(
            f'<li><a id="account-{a.login}" href="/apps/{slug}/installations/new/permissions?target_id={a.id}">'
            f"{html.escape(a.login)}</a></li>"
            for a in self._installable(app)
        )
        return _page(
            f"Install {app.name}", f"<p>Where do you want to install {html.escape(app.name)}?</p><ul>{links}</ul>"
        )

    def _target(self, app: App, query: str) -> Account | None:
        target = urllib.parse.parse_qs(query).get("target_id", [""])[0]
        return next((a for a in self._installable(app) if str(a.id) == target), None)

    def install_page(self, request: Any, exchange: Exchange, slug: str) -> Reply:
        app = self._app(slug)
        account = self._target(app, exchange.query) if app else None
        if app is None or account is None:
            return _page("Page not found", "<p>This is not the page you are looking for.</p>", 404)
        repos = sorted(r.name for (owner, _), r in self.emulator.repositories.items() if owner == account.login.lower())
        boxes = "".join(
            f'<li><label><input type="checkbox" name="repository" value="{html.escape(r)}" id="repo-{r}"> '
            f"{html.escape(account.login)}/{html.escape(r)}</label></li>"
            for r in repos
        )
        rows = "".join(f"<li>{html.escape(p)}: {html.escape(level)}</li>" for p, level in app.permissions.items())
        body = (
            f"<p>Install <strong>{html.escape(app.name)}</strong> on <strong>{html.escape(account.login)}</strong>.</p>"
            f"<p>It asks for:</p><ul>{rows}</ul><form method='post'>"
            '<p><label><input type="radio" name="selection" value="all" id="all" checked> All repositories</label></p>'
            '<p><label><input type="radio" name="selection" value="selected" id="selected"> Only select '
            f"repositories</label></p><ul>{boxes}</ul>"
            '<button type="submit" id="install">Install</button></form>'
        )
        return _page(f"Install {app.name}", body)

    def install(self, request: Any, exchange: Exchange, slug: str) -> Reply:
        app = self._app(slug)
        account = self._target(app, exchange.query) if app else None
        if app is None or account is None:
            return _page("Page not found", "<p>This is not the page you are looking for.</p>", 404)
        pairs = urllib.parse.parse_qsl(exchange.raw.decode())
        selection = dict(pairs).get("selection", "all")
        chosen = [value for key, value in pairs if key == "repository"]
        if selection == "selected" and not chosen:
            return _page(f"Install {app.name}", '<p class="error" id="error">Select at least one repository.</p>', 422)
        installation = self.emulator.install(app, account, chosen if selection == "selected" else None)
        covered = ", ".join(chosen) if selection == "selected" else "all repositories"
        return _page(
            f"{app.name} is installed",
            f"<p id='installed'>Installed on {html.escape(account.login)} ({html.escape(covered)}): installation "
            f"{installation.id}.</p>",
        )

    # -- REST: the manifest conversion and the user ---------------------------------------------
    def convert(self, request: Any, exchange: Exchange, code: str) -> Reply:
        found = self.codes.get(urllib.parse.unquote(code))
        if found is None or found.used or found.expires_at <= self.emulator.now():
            raise error_reply(404, "Not Found")
        found.used = True
        app = found.app
        body = {
            **self.emulator.app_json(app),
            "html_url": f"{self.root}/apps/{app.slug}",
            "external_url": f"{self.root}/{app.owner.login}",
            "events": [],
            "installations_count": 0,
            "client_secret": secrets.token_hex(20),
            "webhook_secret": None,
            "pem": pem_pkcs1(app.private_key),
        }
        return Reply(201, body)

    def user(self, request: Any, exchange: Exchange) -> Reply:
        user = self._user(request)
        account = self.emulator.accounts.get(user.login.lower())
        if account is None:
            raise error_reply(401, "Bad credentials")
        created = iso(self.emulator.now() - 86400 * 400)
        body = {
            **self.emulator.simple_user(account),
            "user_view_type": "private",
            "name": account.login.title(),
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "public_repos": 2,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": created,
            "updated_at": created,
            "private_gists": 0,
            "total_private_repos": 2,
            "owned_private_repos": 2,
            "disk_usage": 1,
            "collaborators": 0,
            "two_factor_authentication": True,
        }
        headers = {"X-OAuth-Scopes": ", ".join(sorted(user.scopes))} if user.scopes is not None else {}
        return Reply(200, body, headers)

    def get_repository(self, request: Any, exchange: Exchange, owner: str, repo: str) -> Reply:
        self._user(request)
        found = self.emulator.repositories.get((owner.lower(), repo.lower()))
        if found is None:
            raise error_reply(404, "Not Found")
        body = {**self.emulator.repository(found), "has_discussions": False, "network_count": 0, "subscribers_count": 0}
        return Reply(200, body)

    # -- REST: Actions secrets and variables ----------------------------------------------------
    @staticmethod
    def _base(owner: str | None, repo: str | None, org: str | None) -> tuple[str, str]:
        if org is not None:
            return f"/orgs/{org}", org
        assert owner is not None and repo is not None
        return f"/repos/{owner}/{repo}", owner

    def key(
        self,
        request: Any,
        exchange: Exchange,
        owner: str | None = None,
        repo: str | None = None,
        org: str | None = None,
    ) -> Reply:
        base, who = self._base(owner, repo, org)
        if org is None:
            self._allow(request, base, who, "repo", "secrets", "read")
        else:
            self._allow(request, base, who, "admin:org", "organization_secrets", "read")
        pair = self.key_pair(base)
        return Reply(200, {"key_id": pair.key_id, "key": base64.b64encode(bytes(pair.private_key.public_key)).decode()})

    def put_secret(
        self,
        request: Any,
        exchange: Exchange,
        name: str,
        owner: str | None = None,
        repo: str | None = None,
        org: str | None = None,
    ) -> Reply:
        base, who = self._base(owner, repo, org)
        if org is None:
            self._allow(request, base, who, "repo", "secrets", "write")
        else:
            self._allow(request, base, who, "admin:org", "organization_secrets", "write")
        body = exchange.body if isinstance(exchange.body, dict) else {}
        pair = self.key_pair(base)
        value, key_id = body.get("encrypted_value"), body.get("key_id")
        if not isinstance(value, str) or key_id != pair.key_id:
            raise error_reply(422, "Bad request: the key_id is not this repository's or organization's public key.")
        try:
            SealedBox(pair.private_key).decrypt(base64.b64decode(value))
        except Exception:
            raise error_reply(422, "Bad request: the encrypted value cannot be decrypted.") from None
        if org is not None and body.get("visibility") not in ("all", "private", "selected"):
            raise error_reply(422, "Invalid request.", errors=[{"field": "visibility", "code": "invalid"}])
        created = (base, name.upper()) not in self.secrets
        self.secrets[(base, name.upper())] = StoredSecret(
            value, key_id, body.get("visibility"), body.get("selected_repository_ids")
        )
        return Reply(201, {}) if created else Reply(204)

    def _variable_allowed(self, request: Any, base: str, who: str, org: str | None) -> None:
        if org is None:
            self._allow(request, base, who, "repo", "actions_variables", "write")
        else:
            self._allow(request, base, who, "admin:org", "organization_actions_variables", "write")

    def create_variable(
        self,
        request: Any,
        exchange: Exchange,
        owner: str | None = None,
        repo: str | None = None,
        org: str | None = None,
    ) -> Reply:
        base, who = self._base(owner, repo, org)
        self._variable_allowed(request, base, who, org)
        body = exchange.body if isinstance(exchange.body, dict) else {}
        name = str(body.get("name", "")).upper()
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name) or not isinstance(body.get("value"), str):
            raise error_reply(422, "Invalid request.", errors=[{"field": "name", "code": "invalid"}])
        if (base, name) in self.variables:
            raise error_reply(409, "Already exists - Variable already exists")
        self.variables[(base, name)] = dict(body)
        return Reply(201, {})

    def update_variable(
        self,
        request: Any,
        exchange: Exchange,
        name: str,
        owner: str | None = None,
        repo: str | None = None,
        org: str | None = None,
    ) -> Reply:
        base, who = self._base(owner, repo, org)
        self._variable_allowed(request, base, who, org)
        if (base, name.upper()) not in self.variables:
            raise error_reply(404, "Not Found")
        body = exchange.body if isinstance(exchange.body, dict) else {}
        self.variables[(base, name.upper())].update(body)
        return Reply(204)

    # -- REST: repository_dispatch ----------------------------------------------------------------
    def dispatch(self, request: Any, exchange: Exchange, owner: str, repo: str) -> Reply:
        issued = request.authenticate_token()
        inst: Installation = issued.installation
        reachable = {r.name.lower() for r in self.emulator.installation_repositories(inst, issued.repositories)}
        if inst.account.login.lower() != owner.lower() or repo.lower() not in reachable:
            raise error_reply(404, "Not Found")
        if issued.permissions.get("contents") != "write":
            raise error_reply(403, "Resource not accessible by integration")
        body = exchange.body if isinstance(exchange.body, dict) else {}
        event_type = body.get("event_type")
        if not isinstance(event_type, str) or not 1 <= len(event_type) <= 100:
            raise error_reply(422, "Invalid request.", errors=[{"field": "event_type", "code": "invalid"}])
        self.dispatches.append((owner, repo, body))
        return Reply(204)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
