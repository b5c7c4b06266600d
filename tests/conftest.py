"""Shared fixtures: one RSA key per test session, a fresh emulator per test, a job harness."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.api_schema import problems
from tests.broker_world import serve_broker, served
from tests.docker_tier import action_image, base_image, docker_engine, no_broker_left, registry, released_image, run_id
from tests.github_emulator import (
    CLASSIC,
    STATELESS,
    App,
    GitHubEmulator,
    default_world,
    generate_private_key,
    pem_pkcs1,
)
from tests.runner_harness import Job, StepResult, assert_no_leaks, assert_only_our_commands, jwts_seen
from tests.setup_world import World, web_world

# Fixtures shared by the container tiers, and the broker's tests.
__all__ = [
    "action_image",
    "base_image",
    "docker_engine",
    "no_broker_left",
    "registry",
    "released_image",
    "run_id",
    "serve_broker",
    "served",
]


@pytest.fixture(scope="session")
def app_key() -> rsa.RSAPrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def app_key_pem(app_key: rsa.RSAPrivateKey) -> str:
    return pem_pkcs1(app_key)


@pytest.fixture(params=[STATELESS, CLASSIC])
def token_format(request: pytest.FixtureRequest) -> str:
    """Every scenario runs with both installation token formats: GitHub.com's ``ghs_<APP_ID>_<JWT>``
    (since 2026) and the 40-character one of GitHub Enterprise Server."""
    return str(request.param)


#: Tokens each scenario's stateless run made, by the test's id with the format in it.
_TOKENS_MADE: dict[str, int] = {}


@pytest.fixture
def emulator(app_key: rsa.RSAPrivateKey, token_format: str, request: pytest.FixtureRequest) -> Iterator[GitHubEmulator]:
    """A fresh emulator in the standard world (:func:`default_world`), issuing ``token_format`` tokens.

    A scenario whose run with stateless tokens made none (an input refused before any request, say)
    is not run again with classic ones: the format cannot change what it does.
    """
    node = request.node.nodeid
    if token_format == CLASSIC and _TOKENS_MADE.get(node.replace(CLASSIC, STATELESS)) == 0:
        pytest.skip("this scenario made no token with the stateless format, so the token format cannot change it")
    emu = GitHubEmulator(token_format=token_format)
    default_world(emu, app_key)
    with emu:
        yield emu
    if token_format == STATELESS:
        _TOKENS_MADE[node] = len(emu.tokens)
    assert_exchanges_conform(emu)


def assert_exchanges_conform(emu: GitHubEmulator) -> None:
    """Every request and response the emulator saw matches GitHub's API description."""
    found = [f"{e.method} {e.path}: {p}" for e in emu.exchanges for p in problems(e)]
    assert not found, "\n".join(found)


@pytest.fixture
def world(app_key: rsa.RSAPrivateKey) -> Iterator[World]:
    """The emulator with its web side (tests/github_web.py), for the setup command's tests."""
    emulator = GitHubEmulator()
    default_world(emulator, app_key)
    built = web_world(emulator)
    with emulator:
        yield built
    assert_exchanges_conform(emulator)


@pytest.fixture
def app(emulator: GitHubEmulator) -> App:
    return emulator.apps[0]


@dataclass
class JobRun:
    main: StepResult
    post: StepResult | None


@pytest.fixture
def run_job(tmp_path: Path, emulator: GitHubEmulator, app_key_pem: str) -> Callable[..., JobRun]:
    """Run main, then post with main's state, as the runner would; check secrecy in both.

    ``inputs`` default to the app's client ID and PKCS#1 key; pass ``post=False`` to
    stop after main, ``state`` to override the state given to post, ``env`` for extra
    variables of both stages, ``api_url`` to aim at another server, ``args`` for ``runs.args``
    (passed to both stages, as the runner does).
    """

    def run(
        inputs: dict[str, str] | None = None,
        *,
        post: bool = True,
        state: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        api_url: str | None = None,
        repository: str = "octo-org/app",
        key_pem: str | None = None,
        args: list[str] | None = None,
    ) -> JobRun:
        job = Job(tmp_path / "job", api_url or emulator.url, repository)
        given = {"client-id": emulator.apps[0].client_id, "private-key": app_key_pem}
        given.update(inputs or {})
        main = job.run("main", given, env=env, args=args)
        post_result = None
        if post:
            post_result = job.run("post", given, state=main.state if state is None else state, env=env, args=args)
        tokens = list(emulator.tokens)
        results = [main] + ([post_result] if post_result else [])
        app_jwt = given.get("app-jwt", "").strip()
        jwts = jwts_seen(emulator.exchanges)
        assert_no_leaks(results, tokens=tokens, jwts=jwts, private_key_pem=key_pem or app_key_pem, app_jwt=app_jwt)
        keys = [app.private_key.public_key() for app in emulator.apps]
        assert_only_our_commands(results, tokens, app_jwt, jwts, keys)
        return JobRun(main, post_result)

    return run
