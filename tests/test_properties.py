"""Property-based tests: the parsers raise nothing but InputError, whatever the input."""

from __future__ import annotations

import contextlib
import string
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from github_app_token import inputs, private_key, runner
from github_app_token.errors import InputError
from github_app_token.permission_levels import PERMISSION_LEVELS
from tests.runner_harness import parse_file_commands

text = st.text(st.characters(codec="utf-8"), max_size=200)
names = st.sampled_from([*PERMISSION_LEVELS, "content", "x", "pull-requests", ""])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    owner=text,
    repositories=text,
    permissions=st.dictionaries(names, text, max_size=4),
    current=text,
    current_owner=text,
)
def test_scope_parser_raises_only_input_errors(
    owner: str, repositories: str, permissions: dict[str, str], current: str, current_owner: str
) -> None:
    env = {
        "INPUT_OWNER": owner,
        "INPUT_REPOSITORIES": repositories,
        "GITHUB_REPOSITORY": current,
        "GITHUB_REPOSITORY_OWNER": current_owner,
    }
    env.update({"INPUT_PERMISSION-" + n.replace("_", "-").upper(): v for n, v in permissions.items()})
    try:
        scope = inputs.resolve_scope(env)
    except InputError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert scope.target.owner
    for name in scope.repositories or ():
        assert name and "/" not in name and "%" not in name and not any(c.isspace() for c in name)
    assert all(level in PERMISSION_LEVELS[n] for n, level in scope.permissions.items())


@SETTINGS
@given(url=text | st.from_regex(r"https?://[a-z0-9.:@\[\]/?#%-]{0,40}", fullmatch=True))
def test_api_url_parser(url: str) -> None:
    try:
        result = inputs.parse_api_url({"INPUT_GITHUB-API-URL": url})
    except InputError:
        return
    assert not result.endswith("/")
    assert result.startswith(("https://", "http://"))
    assert "@" not in result.split("/")[2] and "?" not in result and "#" not in result


@SETTINGS
@given(value=text)
def test_bool_and_issuer_parsers(value: str) -> None:
    for parse in (lambda e: inputs.parse_bool(e, "skip-token-revoke"), inputs.parse_issuer):
        with contextlib.suppress(InputError):
            parse({"INPUT_SKIP-TOKEN-REVOKE": value, "INPUT_APP-ID": value})


@SETTINGS
@given(
    value=text
    | st.text(string.ascii_letters + string.digits + "+/=\n-", max_size=400).map(
        lambda body: f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    )
)
def test_private_key_parser_raises_only_input_errors(value: str) -> None:
    try:
        private_key.load_private_key(value)
    except InputError as error:
        assert "\n" not in str(error)


@SETTINGS
@given(value=text)
def test_split_list(value: str) -> None:
    items = inputs.split_list(value)
    assert len(items) == len(set(items))
    assert all(item and item == item.strip() and "," not in item and "\n" not in item for item in items)


@SETTINGS
@given(message=text)
def test_commands_are_one_line_and_round_trip(message: str) -> None:
    line = runner.format_command("warning", message, title=message)
    assert "\n" not in line and "\r" not in line
    data = line.split("::", 2)[2]
    assert data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%") == message


@SETTINGS
@given(values=st.dictionaries(st.sampled_from(["token", "a", "b-c"]), text, max_size=3))
def test_file_commands_round_trip(values: dict[str, str]) -> None:
    with tempfile.NamedTemporaryFile("w+", suffix=".out") as handle:
        runner.set_outputs({"GITHUB_OUTPUT": handle.name}, values)
        with open(handle.name, encoding="utf-8", newline="") as written:  # the runner splits on \n only
            assert parse_file_commands(written.read()) == values
