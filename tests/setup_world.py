"""What the tests of ``github-app-token setup`` share: the world, a person without a browser, secrecy checks.

:class:`Person` does in the emulator's pages what a person does (read the page, press its button),
over HTTP with requests: the tests where a browser adds nothing. The browser test
(``tests/test_setup_browser.py``) does the same in Chromium.
"""

from __future__ import annotations

import html
import io
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from github_app_token.cli import build_parser
from github_app_token.setup import command
from tests.github_emulator import App, GitHubEmulator
from tests.github_web import GitHubWeb
from tests.model_clock import ModelClock
from tests.runner_harness import jwts_seen, key_fragments, secret_forms


@dataclass
class World:
    emulator: GitHubEmulator
    web: GitHubWeb

    @property
    def created(self) -> list[App]:
        return self.web.created_apps()


def web_world(emulator: GitHubEmulator) -> World:
    """The default world plus its web side: octocat signed in, an admin of ``octo-org``."""
    web = GitHubWeb(emulator, signed_in="octocat")
    web.admins["octo-org"] = {"octocat"}
    return World(emulator, web)


def _attribute(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"no {pattern} in the page: {text[:300]}"
    return html.unescape(match.group(1))


@dataclass
class Person:
    """The opener the setup command is given: what a person does with each page it opens.

    ``install``: ``"all"``, a list of repository names (Only select repositories), or None (never
    installs). ``register``: False leaves the registration page unanswered. ``before_callback`` may
    act on the redirect GitHub sends back (e.g. take the code) before the browser follows it.
    """

    install: str | list[str] | None = "all"
    register: bool = True
    before_callback: Callable[[str], None] | None = None
    opened: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        if "/installations/new" in url:
            self._install(url)
        elif url.startswith("http://127.0.0.1:") and self.register:
            self._register(url)
        return True

    def _register(self, url: str) -> None:
        local = requests.get(url, timeout=10)
        self.pages.append(local.text)
        action = _attribute(r'<form method="post" action="([^"]+)"', local.text)
        manifest = _attribute(r'name="manifest" value="([^"]+)"', local.text)
        creation = requests.post(action, data={"manifest": manifest}, timeout=10)
        self.pages.append(creation.text)
        assert creation.status_code == 200, creation.text
        create = urllib.parse.urljoin(action, _attribute(r'<form method="post" action="([^"]+)"', creation.text))
        name = _attribute(r'name="name" id="name" value="([^"]*)"', creation.text)
        shown = _attribute(r'name="manifest" value="([^"]+)"', creation.text)
        redirect = requests.post(create, data={"name": name, "manifest": shown}, allow_redirects=False, timeout=10)
        assert redirect.status_code == 302, redirect.text
        location = redirect.headers["Location"]
        if self.before_callback is not None:
            self.before_callback(location)
        back = requests.get(location, timeout=10)
        self.pages.append(back.text)

    def _install(self, url: str) -> None:
        if self.install is None:
            return
        page = requests.get(url, timeout=10)
        self.pages.append(page.text)
        assert page.status_code == 200, page.text
        if self.install == "all":
            data: Any = {"selection": "all"}
        else:
            data = [("selection", "selected"), *(("repository", name) for name in self.install)]
        done = requests.post(url, data=data, timeout=10)
        self.pages.append(done.text)
        assert done.status_code == 200, done.text


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_setup(
    world: World,
    arguments: Sequence[str],
    *,
    environ: dict[str, str] | None = None,
    person: Person | None = None,
    clock: ModelClock | None = None,
    which: Callable[[str], str | None] = lambda name: None,
    github_url: str | None = None,
    api_url: str | None = None,
) -> Result:
    """``github-app-token setup ARGUMENTS`` in this process, against the world (no gh unless ``which`` finds one)."""
    root = world.web.root
    options = ["--github-url", github_url or root]
    if api_url is not None or github_url is None:
        options += ["--api-url", api_url or world.emulator.url]
    args = build_parser().parse_args(["setup", *arguments, *options])
    out, err = io.StringIO(), io.StringIO()
    code = command.main(
        args,
        environ or {},
        out,
        err,
        opener=person if person is not None else Person(),
        clock=clock or ModelClock(),
        which=which,
    )
    return Result(code, out.getvalue(), err.getvalue())


def secrets_of(world: World, extra: Sequence[str] = ()) -> list[str]:
    """Everything that must never be printed: the keys of every app (the PEM's lines), the client
    secrets and codes of the conversions, every user token, installation token and app JWT."""
    from tests.github_emulator import pem_pkcs1

    forbidden = [fragment for app in world.emulator.apps for fragment in key_fragments(pem_pkcs1(app.private_key))]
    for exchange in world.emulator.exchanges:
        body = exchange.response_body
        if isinstance(body, dict) and "client_secret" in body:
            forbidden.append(str(body["client_secret"]))
    forbidden += list(world.web.codes)
    forbidden += [form for token in world.web.user_tokens for form in secret_forms(token)]
    forbidden += [form for token in world.emulator.tokens for form in secret_forms(token)]
    forbidden += [form for value in jwts_seen(world.emulator.exchanges) for form in secret_forms(value)]
    return [*forbidden, *extra]


def assert_nothing_secret(world: World, *texts: str) -> None:
    for secret in secrets_of(world):
        for text in texts:
            assert secret not in text, "a secret was printed"
