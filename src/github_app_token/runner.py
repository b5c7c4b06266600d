"""The GitHub Actions runner's protocol: workflow commands and file commands.

Sources: GitHub Docs "Workflow commands for GitHub Actions" and the runner's
``ActionCommandManager.cs`` / ``FileCommandManager.cs`` (see ``docs`` in the README).

Workflow commands (``::add-mask::``, ``::error::``...) are lines on stdout; their data
and properties are escaped so that no value can start a command of its own. File
commands (outputs, state, step summary) are appended to the files the runner names in
``GITHUB_OUTPUT``, ``GITHUB_STATE`` and ``GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from typing import TextIO

from .errors import ActionError, InputError

#: Message shown when a file command's environment variable is missing.
MISSING_FILE_COMMAND = (
    "{variable} is not set, so the step's {what} cannot be written. This action must run as a "
    "step of a GitHub Actions job; outside Actions, use the github-app-token command-line tool."
)


#: Message shown when a file command cannot be written.
FILE_COMMAND_FAILED = "Could not write the step's {what} to the file named by {variable} ({reason})."


def escape_data(value: str) -> str:
    """Escape a command's data: ``%`` -> ``%25``, CR -> ``%0D``, LF -> ``%0A``."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command property: as :func:`escape_data`, plus ``:`` and ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(command: str, message: str = "", **properties: str) -> str:
    """Return one workflow command line, e.g. ``::error title=Bad input::message``."""
    props = ",".join(f"{key}={escape_property(val)}" for key, val in properties.items() if val)
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def neutralise(line: str) -> str:
    """Make one plain log line unable to act as a workflow command, in either of the runner's syntaxes.

    The runner acts on ``::name::`` at the start of a line (after whitespace) and on the legacy
    ``##[name]`` anywhere in it (ActionCommand.TryParseV2 / TryParse); a zero-width space
    breaks each marker while the line reads the same. Lines are split first: the runner also
    ends a line at a lone CR.
    """
    if line.lstrip().startswith("::"):
        line = line.replace("::", ":\u200b:")
    return line.replace("##[", "##\u200b[")


class Log:
    """Writes log lines and workflow commands to one stream (stdout by default).

    Each line is written whole and flushed at once (under a lock: owners are minted on several
    threads), so that the runner sees ``::add-mask::`` before any later line, whatever the
    buffering of the pipe.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()

    def _write(self, line: str) -> None:
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def info(self, message: str) -> None:
        """Plain log lines; text in them cannot form a workflow command (see :func:`neutralise`)."""
        for line in message.splitlines() or [""]:
            self._write(neutralise(line))

    def add_mask(self, secret: str) -> None:
        """Ask the runner to mask ``secret`` in every later log line of the job."""
        self._write(format_command("add-mask", secret))

    def debug(self, message: str) -> None:
        """A line the runner shows only with step debug logging on (``RUNNER_DEBUG=1``)."""
        self._write(format_command("debug", message))

    def warning(self, message: str, *, title: str = "") -> None:
        """A warning annotation."""
        self._write(format_command("warning", message, title=title))

    def notice(self, message: str, *, title: str = "") -> None:
        """A notice annotation."""
        self._write(format_command("notice", message, title=title))

    def error(self, message: str, *, title: str = "") -> None:
        """An error annotation: the one line that explains a failed step."""
        self._write(format_command("error", message, title=title))


def _heredoc(name: str, value: str) -> str:
    """Return ``name<<DELIM\\nvalue\\nDELIM\\n`` with a random delimiter absent from both."""
    delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
    if delimiter in name or delimiter in value:  # pragma: no cover - 128 random bits
        raise ValueError("file command delimiter collision")
    if "\n" in name or "\r" in name or "=" in name or not name:
        raise ValueError(f"invalid file command name {name!r}")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


#: What each file command carries, for messages.
_WHAT = {
    "GITHUB_OUTPUT": "outputs",
    "GITHUB_STATE": "state",
    "GITHUB_STEP_SUMMARY": "step summary",
    "GITHUB_ENV": "environment for later steps",
}


def _file(env: Mapping[str, str], variable: str) -> str:
    """The path in ``variable``; raises :class:`InputError` when the runner did not set it."""
    path = env.get(variable, "")
    if not path:
        raise InputError(MISSING_FILE_COMMAND.format(variable=variable, what=_WHAT[variable]))
    return path


def _append(env: Mapping[str, str], variable: str, text: str) -> None:
    path = _file(env, variable)
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ActionError(FILE_COMMAND_FAILED.format(what=_WHAT[variable], variable=variable, reason=reason)) from None


def require_file_commands(env: Mapping[str, str], *variables: str) -> None:
    """Raise :class:`InputError` unless each named file-command variable is set."""
    for variable in variables:
        _file(env, variable)


def set_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT`` (heredoc form, random delimiter)."""
    _append(env, "GITHUB_OUTPUT", "".join(_heredoc(k, v) for k, v in outputs.items()))


def save_state(env: Mapping[str, str], state: Mapping[str, str]) -> None:
    """Append values to ``$GITHUB_STATE``; the post step reads them as ``STATE_<name>``."""
    _append(env, "GITHUB_STATE", "".join(_heredoc(k, v) for k, v in state.items()))


def set_env(env: Mapping[str, str], values: Mapping[str, str]) -> None:
    """Append variables for the job's later steps to ``$GITHUB_ENV`` (heredoc form, random delimiter)."""
    _append(env, "GITHUB_ENV", "".join(_heredoc(k, v) for k, v in values.items()))


def get_state(env: Mapping[str, str], name: str) -> str:
    """Return the value saved by the main step under ``name`` ("" when none)."""
    return env.get(f"STATE_{name}", "")


def append_summary(env: Mapping[str, str], markdown: str) -> None:
    """Append Markdown to ``$GITHUB_STEP_SUMMARY`` (silently skipped when unset)."""
    if env.get("GITHUB_STEP_SUMMARY", ""):
        _append(env, "GITHUB_STEP_SUMMARY", markdown)
