"""``github-app-token setup``: the five steps of issue 16, in order, and what the user sees.

1. Check (nothing is created before): the options, the user token and what it may do, the owner,
   every place to store in (its secrets' public key is read).
2. Register the app from a manifest (:mod:`.local_server`), then ``POST /app-manifests/{code}/conversions``.
3. Install it (:mod:`.installation`), waiting until the installation covers what was asked.
4. Store the client ID (variable) and the key (secret) (:mod:`.store`).
5. Prove: mint a token through the action's core and revoke it (:mod:`.prove`); print the summary
   and the workflow step.

Progress goes to standard output, one line each; errors to standard error, one line (no traceback).
If anything fails once the app was created, :mod:`.rescue` saves its key (mode 0600) and prints the
command that finishes the job. The key goes from the conversion to the sealed box (and, then only, to
that file); the client secret and the webhook secret are dropped by :mod:`.client` at once.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import threading
import urllib.parse
import webbrowser
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ..errors import ActionError, GitHubAPIError, InputError
from ..redaction import redact
from ..retry import SYSTEM_CLOCK, Clock
from . import installation, manifest, messages, options, prove, rescue, store, user_token
from .client import Account, AppCredentials, SetupAPI, User, printable, same_origin
from .endpoints import Endpoints, resolve
from .local_server import ManifestServer

Opener = Callable[[str], object]


def open_in_browser(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """``webbrowser.open(url)``, except on a Linux or BSD machine with no display and no ``BROWSER``
    (over SSH, say), where webbrowser would start a text browser in this terminal: then False."""
    import os
    import sys

    env = os.environ if environ is None else environ
    graphical = any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))
    if sys.platform not in ("darwin", "win32", "cygwin") and not graphical:
        return False
    return webbrowser.open(url)


class _Run:
    """One run's state: what the user sees, and the app once created (for :mod:`.rescue`)."""

    def __init__(self, out: TextIO, opener: Opener | None, clock: Clock) -> None:
        self.out, self.opener, self.clock = out, opener, clock
        self.app: AppCredentials | None = None  # set as soon as GitHub created the app

    def say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def step(self, number: int, title: str) -> None:
        self.say(f"\n[{number}/5] {title}")

    def open(self, url: str) -> None:
        """Open ``url`` in the user's browser (always printed too, for when none opens)."""
        self.say(f"  {url}")
        if self.opener is None:
            self.say(messages.OPEN_YOURSELF)
            return
        try:
            opened = self.opener(url)
        except Exception:  # noqa: BLE001 - a browser that fails to start must not stop the setup
            opened = False
        if opened is False:
            self.say(messages.OPEN_YOURSELF)


def _api(endpoints: Endpoints, ca_bundle: str, clock: Clock) -> SetupAPI:
    return SetupAPI(endpoints.api, ca_bundle=ca_bundle or None, clock=clock)


def _refusal(error: GitHubAPIError, template: str, **fields: str) -> InputError:
    return InputError(template.format(status=error.status, github_message=error.github_message, **fields))


# --- 1. checks -------------------------------------------------------------------------------
def _check_user(api: SetupAPI, token: user_token.UserToken, endpoints: Endpoints) -> User:
    try:
        return api.user(token.value)
    except GitHubAPIError as error:
        if error.status in (401, 403) and not error.rate_limited:
            raise _refusal(error, messages.USER_TOKEN_REFUSED, source=token.source, host=endpoints.host) from None
        raise


def _check_owner(api: SetupAPI, token: str, opts: options.Options, user: User) -> Account:
    try:
        owner = api.account(opts.owner, token)
    except GitHubAPIError as error:
        if error.status == 404:
            raise InputError(messages.OWNER_NOT_FOUND.format(owner=opts.owner)) from None
        raise
    if owner.type not in ("User", "Organization"):
        raise InputError(messages.OWNER_NOT_AN_ACCOUNT.format(owner=owner.login, type=owner.type))
    personal_elsewhere = owner.type == "User" and owner.login.casefold() != user.login.casefold()
    if personal_elsewhere and not opts.public and not opts.existing:
        raise InputError(messages.PRIVATE_APP_ELSEWHERE.format(owner=owner.login, login=user.login))
    return owner


def _targets(api: SetupAPI, token: str, opts: options.Options) -> list[store.Target]:
    targets = [store.Target(owner, repo) for owner, repo in opts.store]
    if opts.store_org:
        ids: list[int] = []
        for name in opts.store_repositories:
            try:
                ids.append(api.repository_id(opts.store_org, name, token))
            except GitHubAPIError as error:
                if error.status != 404:
                    raise
                raise InputError(
                    messages.STORE_REPOSITORY_NOT_FOUND.format(repository=f"{opts.store_org}/{name}")
                ) from None
        targets.append(store.Target(opts.store_org, None, opts.visibility, tuple(ids)))
    return targets


def _public_keys(
    api: SetupAPI, token: user_token.UserToken, user: User, targets: list[store.Target], endpoints: Endpoints
) -> dict[store.Target, tuple[str, str]]:
    keys = {}
    for target in targets:
        try:
            keys[target] = api.secrets_public_key(target.base, token.value)
        except GitHubAPIError as error:
            if error.status not in (401, 403, 404) or error.rate_limited:
                raise
            if user.scopes is None:
                fix = messages.FIX_FINE_GRAINED_ORG if target.repository is None else messages.FIX_FINE_GRAINED_REPO
            else:
                fix = messages.FIX_ADMIN_ORG if target.repository is None else messages.FIX_ADMIN_REPO
            raise _refusal(
                error,
                messages.STORE_NOT_ALLOWED,
                target=target.label,
                login=user.login,
                fix=fix.format(target=target.label, login=user.login),
            ) from None
    return keys


# --- 2. register -----------------------------------------------------------------------------
class Terminated(KeyboardInterrupt):
    """SIGTERM (a closed terminal's session, ``kill``, a CI job's end), taken as Ctrl-C is: the
    command stops where it is, and a key it holds is saved first (exit 143)."""


def _terminated(number: int, frame: object) -> None:
    raise Terminated


@contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while the command runs (its default would kill the process
    with a new app's key held in memory only); the previous handler comes back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


#: The signals held back while the new app's credentials arrive.
HELD = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def _ctrl_c_after() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block is done (then raise KeyboardInterrupt, or
    :class:`Terminated`): between GitHub creating the app and the command holding its key, an
    interruption would lose the key."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[int] = []
    previous = {number: signal.signal(number, lambda n, frame: pressed.append(n)) for number in HELD}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if signal.SIGTERM in pressed:
        raise Terminated
    if pressed:
        raise KeyboardInterrupt


class WrongOwner(ActionError):
    """GitHub registered the app under another account than setup asked for (the browser signed in as
    someone else, say): nothing more is done with it; :func:`main` saves its key and says to delete it."""


def _apps_settings(web: str, organization: str | None) -> str:
    """The GitHub Apps page of ``organization``'s developer settings, or of the signed-in user's."""
    return (
        f"{web}/organizations/{urllib.parse.quote(organization)}/settings/apps"
        if organization
        else f"{web}/settings/apps"
    )


def _check_app_owner(app: AppCredentials, expected: str, personal: bool, endpoints: Endpoints) -> None:
    """Raise :class:`WrongOwner` unless the conversion's ``owner.login`` is ``expected`` (case aside)."""
    if app.owner.casefold() == expected.casefold():
        return
    settings = _apps_settings(endpoints.web, app.owner if app.owner_type == "Organization" else None)
    raise WrongOwner(
        messages.WRONG_OWNER.format(
            name=app.name,
            got=app.owner or "(none named)",
            expected=expected,
            url=f"{settings}/{app.slug}",
            again=messages.FIX_SIGN_IN.format(login=expected) if personal else "",
        )
    )


def _register(
    run: _Run, api: SetupAPI, opts: options.Options, owner: Account, user: User, endpoints: Endpoints
) -> AppCredentials:
    """Step 2: the manifest flow, then the conversion. The app must be registered under the organization
    ``owner`` or, for a personal account, under the token's ``user`` (a private app installs only there)."""
    organization = owner.login if owner.type == "Organization" else None
    homepage = opts.homepage_url or f"{endpoints.web}/{owner.login}"

    def form(callback: str, state: str) -> tuple[str, dict[str, object]]:
        built = manifest.build(
            name=opts.name,
            homepage=homepage,
            permissions=opts.permissions,
            redirect_url=callback,
            public=opts.public,
            description=opts.description,
        )
        return manifest.form_action(endpoints.web, organization, state), built

    with ManifestServer(form) as server:
        run.say(messages.REGISTER_OPEN.format(name=opts.name, account=organization or "your account"))
        run.open(server.page_url)
        run.say(messages.REGISTER_WAIT.format(minutes=_minutes(opts.timeout)))
        code = server.wait(opts.timeout, run.clock)
    with _ctrl_c_after():
        try:
            app = api.convert_manifest(code)
        except ActionError as error:
            where = _apps_settings(endpoints.web, organization)
            raise ActionError(messages.CONVERSION_FAILED.format(problem=error, url=where)) from None
        run.app = app
    if not same_origin(app.html_url, endpoints.web):  # the pages to open are GitHub's, whatever the answer says
        app = app._replace(html_url=f"{endpoints.web}/apps/{app.slug}")
        run.app = app
    run.say(
        messages.REGISTERED.format(name=app.name, id=app.id, client_id=app.client_id, url=app.html_url, owner=app.owner)
    )
    _check_app_owner(app, organization or user.login, organization is None, endpoints)
    return app


def _existing(api: SetupAPI, opts: options.Options, endpoints: Endpoints) -> AppCredentials:
    from ..core import signer_for
    from ..private_key import load_private_key

    try:
        pem = Path(opts.private_key_file).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a text file"
        raise InputError(messages.KEY_FILE_UNREADABLE.format(path=opts.private_key_file, reason=reason)) from None
    load_private_key(pem)  # InputError (no key material shown) for what is not an RSA private key
    issuer = opts.client_id or opts.app_id
    try:
        data = api.get_app(signer_for("", issuer, pem))
    except GitHubAPIError as error:
        if error.status == 401:
            refused = messages.EXISTING_REFUSED.format(issuer=issuer, github_message=error.github_message)
            raise InputError(refused) from None
        raise
    owner = data.get("owner") or {}
    try:
        credentials = AppCredentials(
            int(data["id"]),
            str(data["slug"]),
            str(data.get("client_id") or opts.client_id or opts.app_id),
            printable(str(data.get("name") or data["slug"])),
            str(data["html_url"]).rstrip("/"),
            str(owner.get("login") or owner.get("slug") or ""),
            pem,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ActionError(messages.APP_UNREADABLE.format(kind=type(error).__name__)) from None
    if not same_origin(credentials.html_url, endpoints.web):
        credentials = credentials._replace(html_url=f"{endpoints.web}/apps/{credentials.slug}")
    return credentials


# --- 3. install ------------------------------------------------------------------------------
def _install(
    run: _Run, api: SetupAPI, opts: options.Options, owner: Account, app: AppCredentials
) -> installation.Installed:
    from ..core import signer_for

    signer = signer_for("", app.client_id, app.pem)
    installed, missing = installation.look(api, signer, owner.login, opts.repositories)
    if installed is not None and not missing:
        run.say(messages.ALREADY_INSTALLED.format(owner=owner.login, id=installed.id))
        return installed
    run.say(messages.INSTALL_OPEN.format(owner=owner.login, repositories=_repositories(opts)))
    run.open(installation.install_url(app.html_url, owner.id))
    run.say(messages.INSTALL_WAIT.format(minutes=_minutes(opts.timeout)))
    done = installation.wait(
        api, signer, owner.login, opts.repositories, timeout=opts.timeout, say=run.say, clock=run.clock
    )
    run.say(messages.INSTALLED.format(owner=owner.login, id=done.id, selection=done.repository_selection))
    return done


# --- 4. store --------------------------------------------------------------------------------
def _store(
    run: _Run,
    api: SetupAPI,
    token: str,
    opts: options.Options,
    app: AppCredentials,
    keys: dict[store.Target, tuple[str, str]],
) -> list[store.Stored]:
    stored = []
    for target, key in keys.items():
        for kind in ("variable", "secret"):
            try:
                if kind == "variable":
                    done = store.store_variable(api, token, target, opts.variable_name, app.client_id)
                else:
                    done = store.store_secret(api, token, target, opts.secret_name, app.pem, key)
            except GitHubAPIError as error:
                raise ActionError(messages.STORE_FAILED.format(target=target.label, problem=error)) from None
            stored.append(done)
            run.say(
                messages.STORED.format(
                    kind=done.kind, name=done.name, target=target.label, how="created" if done.created else "updated"
                )
            )
    return stored


# --- 5. prove, and the summary ----------------------------------------------------------------
def _prove(run: _Run, endpoints: Endpoints, opts: options.Options, app: AppCredentials, ca_bundle: str) -> prove.Proof:
    """Step 5. Ctrl-C and SIGTERM only set a flag meanwhile (:mod:`github_app_token.cancel`): the request
    in flight finishes and a token created is revoked, then :class:`~github_app_token.cancel.Cancelled`."""
    from ..cancel import Cancellation
    from ..cli import signals_handled
    from ..github_api import GitHubAPI

    env = prove.inputs_for(app.client_id, app.pem, opts.owner, opts.repositories, opts.permissions, endpoints.api)
    if ca_bundle:
        env["INPUT_CA-BUNDLE"] = ca_bundle
    cancellation = Cancellation()
    with signals_handled(cancellation):
        api = GitHubAPI(endpoints.api, ca_bundle=ca_bundle or None, clock=run.clock, cancellation=cancellation)
        try:
            proof = prove.prove(api, endpoints.web, env, cancellation)
        finally:
            api.close()
    permissions = ", ".join(f"{name}: {level}" for name, level in proof.permissions.items())
    covered = ", ".join(proof.repositories) if proof.repositories is not None else "all repositories"
    run.say(messages.PROVED.format(owner=opts.owner, repositories=covered, permissions=permissions))
    if proof.revoke_problem:
        run.say(messages.NOT_REVOKED.format(problem=proof.revoke_problem, expires_at=proof.expires_at))
    else:
        run.say(messages.REVOKED)
    return proof


def workflow_step(opts: options.Options) -> str:
    """The step to paste into a workflow (YAML, a list of one step), with the stored names and the
    options' scope; a comment above ``uses:`` says what its placeholder ``OWNER`` stands for."""
    lines = [
        messages.ACTION_REFERENCE_NOTE,
        f"- uses: {messages.ACTION_REFERENCE}",
        "  id: app-token",
        "  with:",
        f"    client-id: ${{{{ vars.{opts.variable_name} }}}}",
        f"    private-key: ${{{{ secrets.{opts.secret_name} }}}}",
        f"    owner: {opts.owner}",
    ]
    if opts.repositories:
        lines.append(f"    repositories: {','.join(opts.repositories)}")
    lines += [f"    permission-{name.replace('_', '-')}: {level}" for name, level in opts.permissions.items()]
    return "\n".join(lines)


def _summary(
    run: _Run,
    opts: options.Options,
    app: AppCredentials,
    installed: installation.Installed,
    stored: list[store.Stored],
) -> None:
    places = sorted({item.target.label for item in stored})
    run.say("\n" + messages.SUMMARY_TITLE)
    run.say(f"  app:          {app.name} (app ID {app.id}, client ID {app.client_id}) {app.html_url}")
    run.say(f"  installation: {installed.id} on {opts.owner} ({_repositories(opts)})")
    run.say(f"  stored:       variable {opts.variable_name}, secret {opts.secret_name} in {', '.join(places)}")
    run.say("\n" + messages.WORKFLOW_STEP_INTRO)
    for line in workflow_step(opts).splitlines():
        run.say("  " + line)


def _repositories(opts: options.Options) -> str:
    return ", ".join(opts.repositories) if opts.repositories else "all repositories"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


# --- the command -------------------------------------------------------------------------------
def _steps(run: _Run, opts: options.Options, environ: Mapping[str, str], find_token: Callable[..., object]) -> None:
    endpoints = resolve(opts.github_url, opts.api_url)
    import importlib.util

    if importlib.util.find_spec("nacl") is None:  # the sealed boxes need it; without, no secret could be stored
        raise InputError(messages.NO_PYNACL)
    if not opts.existing and not rescue.writable(Path(opts.key_dir)):
        raise InputError(messages.KEY_DIR_NOT_WRITABLE.format(path=opts.key_dir))
    run.step(1, messages.STEP_CHECK)
    api = _api(endpoints, opts.ca_bundle, run.clock)
    try:
        token = find_token(environ, endpoints)
        assert isinstance(token, user_token.UserToken)
        user = _check_user(api, token, endpoints)
        kind = "fine-grained token" if user.scopes is None else f"scopes: {', '.join(sorted(user.scopes)) or 'none'}"
        run.say(messages.TOKEN_FROM.format(source=token.source, login=user.login, kind=kind))
        if user.scopes is not None:
            missing = user_token.missing_scopes(user.scopes, bool(opts.store), bool(opts.store_org))
            if missing:
                raise InputError(
                    messages.MISSING_SCOPES.format(
                        source=token.source,
                        scopes=", ".join(missing),
                        fix=user_token.scope_fix(token, missing, endpoints),
                    )
                )
        owner = _check_owner(api, token.value, opts, user)
        keys = _public_keys(api, token, user, _targets(api, token.value, opts), endpoints)
        run.say(messages.CHECKED.format(owner=owner.login, type=owner.type.lower(), targets=len(keys)))
        if opts.existing:
            app = _existing(api, opts, endpoints)
            run.say(messages.EXISTING_APP.format(name=app.name, id=app.id, client_id=app.client_id))
            run.step(2, messages.STEP_REGISTER_SKIPPED)
        else:
            run.step(2, messages.STEP_REGISTER)
            app = _register(run, api, opts, owner, user, endpoints)
    finally:
        api.close()
    run.step(3, messages.STEP_INSTALL)
    api = _api(endpoints, opts.ca_bundle, run.clock)
    try:
        installed = _install(run, api, opts, owner, app)
    finally:
        api.close()
    run.step(4, messages.STEP_STORE)
    api = _api(endpoints, opts.ca_bundle, run.clock)
    try:
        stored = _store(run, api, token.value, opts, app, keys)
    finally:
        api.close()
    run.step(5, messages.STEP_PROVE)
    _prove(run, endpoints, opts, app, opts.ca_bundle)
    _summary(run, opts, app, installed, stored)


def main(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    stdout: TextIO,
    stderr: TextIO,
    *,
    opener: Opener | None = open_in_browser,
    clock: Clock = SYSTEM_CLOCK,
    which: Callable[[str], str | None] = shutil.which,
    gh: user_token.Runner | None = None,
) -> int:
    """Run ``setup``; return the exit code (see the subcommand's epilog).

    ``opener`` opens a URL in the user's browser (:func:`open_in_browser`: webbrowser, which follows
    ``BROWSER``);
    ``clock`` is where waits read the time and sleep; ``which`` and ``gh`` find and run the GitHub CLI.
    Tests replace them; nothing else reads the process's state.
    """
    try:
        opts = options.check(args)
    except ActionError as error:
        stderr.write(f"error: {redact(str(error))}\n")
        return error.exit_code
    run = _Run(stdout, opener if opts.open_browser else None, clock)

    def find_token(env: Mapping[str, str], endpoints: Endpoints) -> user_token.UserToken:
        return user_token.find(env, endpoints, which=which, **({"run": gh} if gh else {}))

    finish = True  # whether the saved key's message gives the command that finishes the job
    try:
        with _sigterm_as_ctrl_c():
            _steps(run, opts, environ, find_token)
        return 0
    except ActionError as error:
        stderr.write(f"error: {redact(str(error))}\n")
        code = error.exit_code
        finish = not isinstance(error, WrongOwner)
    except KeyboardInterrupt as interrupt:
        stderr.write(messages.INTERRUPTED + "\n")
        code = 128 + (signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)
    except Exception as error:  # noqa: BLE001 - one line, no traceback that could carry a secret
        stderr.write(f"error: {messages.UNEXPECTED.format(kind=type(error).__name__)}\n")
        code = 1
    if run.app is not None and not opts.existing:
        _rescue(run.app, opts, stderr, finish=finish)
    elif opts.existing and code != 0:
        stderr.write(messages.EXISTING_AGAIN + "\n")
    return code


def _rescue(app: AppCredentials, opts: options.Options, stderr: TextIO, *, finish: bool = True) -> None:
    """Save the new app's key (mode 0600) and say how to finish (unless not ``finish``: an app to
    delete, not to finish); never print the key."""
    try:
        path = rescue.save_key(Path(opts.key_dir).expanduser(), app.slug, app.pem)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        stderr.write(messages.KEY_NOT_SAVED.format(name=app.name, reason=reason, url=app.html_url) + "\n")
        return
    if not finish:
        stderr.write(messages.KEY_SAVED_WRONG_OWNER.format(path=path) + "\n")
        return
    command = rescue.finish_command(app.client_id, path, options.resume_arguments(opts))
    stderr.write(messages.KEY_SAVED.format(name=app.name, client_id=app.client_id, path=path, command=command) + "\n")
