"""Parsing of inputs and the scope rules, in-process."""

from __future__ import annotations

import pytest

from github_app_token import inputs
from github_app_token.errors import InputError

BASE = {"GITHUB_REPOSITORY": "octo-org/app", "GITHUB_REPOSITORY_OWNER": "octo-org"}


def env(**given: str) -> dict[str, str]:
    return {**BASE, **{"INPUT_" + k.replace("_", "-").upper(): v for k, v in given.items()}}


@pytest.mark.parametrize(
    ("given", "target", "repositories"),
    [
        ({}, inputs.InstallationTarget("octo-org", "app"), ("app",)),
        ({"owner": "octocat"}, inputs.InstallationTarget("octocat"), None),
        ({"repositories": "b,a"}, inputs.InstallationTarget("octo-org", "b"), ("b", "a")),
        ({"owner": "octocat", "repositories": "x\ny"}, inputs.InstallationTarget("octocat", "x"), ("x", "y")),
    ],
)
def test_scope_rules(
    given: dict[str, str], target: inputs.InstallationTarget, repositories: tuple[str, ...] | None
) -> None:
    scope = inputs.resolve_scope(env(**given))
    assert scope.target == target
    assert scope.repositories == repositories


def test_split_list_trims_dedupes_and_keeps_order() -> None:
    assert inputs.split_list(" a, b\n\n,a ,c,\r\n") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", False), ("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False)],
)
def test_bool(value: str, expected: bool) -> None:
    assert inputs.parse_bool(env(skip_token_revoke=value), "skip-token-revoke") is expected


@pytest.mark.parametrize("value", ["yes", "1", "tRue", "on"])
def test_bool_rejects(value: str) -> None:
    with pytest.raises(InputError, match="must be true or false"):
        inputs.parse_bool(env(skip_token_revoke=value), "skip-token-revoke")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "https://api.github.com"),
        ("https://api.github.com/", "https://api.github.com"),
        ("https://ghe.example/api/v3/", "https://ghe.example/api/v3"),
        ("http://127.0.0.1:8080/api/v3", "http://127.0.0.1:8080/api/v3"),
        ("http://localhost:9", "http://localhost:9"),
    ],
)
def test_api_url(value: str, expected: str) -> None:
    assert inputs.parse_api_url(env(github_api_url=value)) == expected


def test_api_url_falls_back_to_runner_variable() -> None:
    assert inputs.parse_api_url({"GITHUB_API_URL": "https://ghe.example/api/v3"}) == "https://ghe.example/api/v3"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("http://ghe.example/api/v3", "plain http"),
        ("ftp://ghe.example", "must start with https"),
        ("https://user:secret@ghe.example", "credentials"),
        ("https://ghe.example/api?x=1", "query"),
        ("https://ghe.example/api#frag", "fragment"),
        ("https://ghe.example:99999", "not a valid URL"),
        ("api.github.com", "must start with https"),
    ],
)
def test_api_url_rejects(value: str, why: str) -> None:
    with pytest.raises(InputError, match=why) as caught:
        inputs.parse_api_url(env(github_api_url=value))
    assert "secret" not in str(caught.value)


def test_permissions_are_parsed_normalised_and_ordered() -> None:
    given = env(permission_pull_requests="Write", permission_actions="read", permission_issues=" ")
    assert inputs.parse_permissions(given) == {"actions": "read", "pull_requests": "write"}


def test_issuer_choice() -> None:
    assert inputs.parse_issuer(env(client_id="Iv1.abc", app_id="1")) == ("Iv1.abc", "client-id")
    assert inputs.parse_issuer(env(app_id=" 42 ")) == ("42", "app-id")
    with pytest.raises(InputError, match="looks like a client ID"):
        inputs.parse_issuer(env(app_id="Iv23liabc"))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"owner": "bad/owner"}, "not a valid GitHub user or organization name"),
        ({"owner": "-leading"}, "not a valid GitHub user"),
        ({"repositories": "../etc"}, "not a valid GitHub user or organization name"),
        ({"repositories": "a..b"}, "not a valid repository name"),
        ({"repositories": "a%2Fb"}, "not a valid repository name"),
        ({"repositories": "with space"}, "not a valid repository name"),
        ({"repositories": "a/b/c"}, "not a valid GitHub user"),
        ({"repositories": ",".join(f"r{i}" for i in range(501))}, "at most 500"),
    ],
)
def test_scope_rejects(given: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        inputs.resolve_scope(env(**given))


def test_five_hundred_repositories_are_allowed() -> None:
    scope = inputs.resolve_scope(env(repositories="\n".join(f"r{i}" for i in range(500))))
    assert scope.repositories is not None and len(scope.repositories) == 500
