"""No input can inject a workflow command, and debug logging leaks nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import JobRun
from tests.github_emulator import GitHubEmulator

RunJob = Callable[..., JobRun]
ALLOWED_COMMANDS = ("::add-mask::", "::error::", "::warning::", "::debug::")
HOSTILE = [
    "x\n::set-env name=NODE_OPTIONS::--require=/tmp/evil.js",
    "x%0A::set-env name=A::b",
    "x\n::stop-commands::pwned",
    "x\r\n::add-mask::y",
    "x::error::%0D%0Afake",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["owner", "repositories", "permission-contents", "app-id", "github-api-url"])
def test_hostile_input_cannot_inject_a_command(
    run_job: RunJob, emulator: GitHubEmulator, field: str, value: str
) -> None:
    inputs = {"client-id": "", "app-id": "4242"} if field != "app-id" else {"client-id": ""}
    inputs[field] = value
    run = run_job(inputs)
    main = run.main
    assert main.exit_code == 1
    for line in main.log.splitlines():
        if line.lstrip().startswith("::"):
            assert line.startswith(ALLOWED_COMMANDS), line
    assert len(main.errors) == 1
    error = main.errors[0]
    assert "\n" not in error and "\r" not in error
    if "%0A" in value:
        assert "%0A" in error  # as the runner decodes it: "%0A" stays literal text, not a line break
    assert main.outputs == {} and main.env_file == {}
    assert emulator.exchanges == []


def test_runner_debug_shows_requests_but_no_secret(run_job: RunJob, emulator: GitHubEmulator) -> None:
    run = run_job(env={"RUNNER_DEBUG": "1"})
    assert run.main.exit_code == 0
    debug = run.main.commands("debug")
    assert [line.split(" ->")[0] for line in debug] == [
        "GET /repos/octo-org/app/installation",
        "POST /app/installations/1006/access_tokens",
    ]
    assert run.post is not None and run.post.commands("debug")[0].startswith("DELETE /installation/token -> HTTP 204")
    # run_job has already checked that no token, JWT or key fragment appears anywhere.


def test_failures_leak_nothing(run_job: RunJob, emulator: GitHubEmulator) -> None:
    """A failing create (422) with debug on: the JWT and key stay out of every text."""
    run = run_job({"repositories": "docs,app"}, env={"RUNNER_DEBUG": "1"})
    assert run.main.exit_code == 1 and len(run.main.errors) == 1
