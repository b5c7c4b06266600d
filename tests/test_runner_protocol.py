"""The runner protocol: escaping of workflow commands, file commands, and ordering."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from github_app_token import runner
from github_app_token.errors import InputError
from tests.runner_harness import parse_file_commands


def test_escape_data_and_property() -> None:
    assert runner.escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert runner.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert runner.format_command("error", "x\ny", title="T: 1,2") == "::error title=T%3A 1%2C2::x%0Ay"


@pytest.mark.parametrize(
    "hostile", ["ok\n::set-env name=PATH::/tmp", "%0A::stop-commands::x", "a\r\n::add-mask::b", "::warning::x"]
)
def test_no_value_can_start_a_command(hostile: str) -> None:
    out = io.StringIO()
    log = runner.Log(out)
    log.error(f"bad value '{hostile}'")
    log.warning(hostile)
    log.info(hostile)
    lines = out.getvalue().splitlines()
    commands = [line for line in lines if line.lstrip().startswith("::")]
    assert [c.split("::")[1].split(" ")[0] for c in commands] == ["error", "warning"]
    assert all("%0A" in c or "\n" not in hostile for c in commands)


def test_outputs_use_a_fresh_delimiter_and_round_trip(tmp_path: Path) -> None:
    output = tmp_path / "out"
    output.write_text("")
    env = {"GITHUB_OUTPUT": str(output)}
    values = {"token": "t0k", "multi": "line1\nline2", "eq": "a=b<<c", "empty": ""}
    runner.set_outputs(env, values)
    runner.set_outputs(env, {"second": "x"})
    text = output.read_text()
    delimiters = [line.split("<<", 1)[1] for line in text.splitlines() if "<<ghadelimiter_" in line]
    assert len(set(delimiters)) == 5
    assert parse_file_commands(text) == {**values, "second": "x"}


def test_missing_file_command_variable_is_an_input_error() -> None:
    with pytest.raises(InputError, match="GITHUB_STATE is not set"):
        runner.save_state({}, {"token": "x"})
    with pytest.raises(InputError, match="GITHUB_OUTPUT is not set"):
        runner.require_file_commands({"GITHUB_STATE": "/x"}, "GITHUB_OUTPUT", "GITHUB_STATE")


def test_state_is_read_back_from_state_variables() -> None:
    assert runner.get_state({"STATE_expires-at": "2030-01-01T00:00:00Z"}, "expires-at") == "2030-01-01T00:00:00Z"
    assert runner.get_state({}, "token") == ""


def test_token_never_shows_in_repr_or_str() -> None:
    from github_app_token.github_api import InstallationToken

    token = InstallationToken("ghs_secretvalue123", "2030-01-01T00:00:00Z", {}, None, "all")
    assert "ghs_secretvalue123" not in repr(token) and "ghs_secretvalue123" not in str(token)
    assert "ghs_secretvalue123" not in f"{token}"


def test_post_with_a_bad_skip_value_and_no_token_warns_without_crashing() -> None:
    from github_app_token import post

    out = io.StringIO()
    assert post.run({"INPUT_SKIP-TOKEN-REVOKE": "yes"}, runner.Log(out)) == 0
    (line,) = out.getvalue().splitlines()
    assert line.startswith("::warning::Could not revoke") and "'skip-token-revoke' must be true or false" in line
