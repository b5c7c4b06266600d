"""Run the action's entrypoint as the GitHub Actions runner runs a Docker action.

Per the runner's source (see ``../shared/runner-contract.md``): the process gets only
what the runner passes (``INPUT_*`` with hyphens kept and action.yml defaults filled
in, ``GITHUB_*``, ``RUNNER_*``, ``HOME``, ``CI``), runs in a fresh workspace, writes
outputs and state to files read after it exits, and the post stage receives the saved
state as ``STATE_*`` variables. Also checks, in every run, that no secret leaks.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import jwt as pyjwt
import yaml

from tests.coverage_env import coverage_env
from tests.runner_rules import Command, output_lines, workflow_commands

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "entrypoint.py"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


class FileCommandError(Exception):
    """The runner would fail the step: "Unable to process file command ... successfully"."""


def parse_file_commands(text: str) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT/GITHUB_STATE/GITHUB_ENV file by the runner's rules.

    ``name=value`` (value after the first ``=``) or ``name<<DELIM`` ... ``DELIM``;
    only ``\\n`` ends a line. Later values of a name replace earlier ones.
    """
    values: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line == "":
            continue
        heredoc = line.find("<<")
        equals = line.find("=")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line[:equals], line[equals + 1 :]
            if not name:
                raise FileCommandError(f"empty name in {line!r}")
            values[name] = value
            continue
        if heredoc <= 0:
            raise FileCommandError(f"invalid line {line!r}")
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        if not delimiter:
            raise FileCommandError(f"empty delimiter in {line!r}")
        body: list[str] = []
        while True:
            if i >= len(lines):
                raise FileCommandError(f"missing delimiter {delimiter!r}")
            current = lines[i]
            i += 1
            if current == delimiter:
                break
            body.append(current)
        values[name] = "\n".join(body)
    return values


def read_file_command(path: Path) -> str:
    """A file-command file as the runner reads it on Linux: only LF ends a line, CR is data ("" if absent)."""
    if not path.is_file():
        return ""
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def input_env(inputs: dict[str, str], api_url: str) -> dict[str, str]:
    """``INPUT_*`` variables: every input of action.yml (default filled in) plus any extra given."""
    env: dict[str, str] = {}
    for name, spec in ACTION["inputs"].items():
        default = str(spec.get("default", "") or "")
        default = default.replace("${{ github.api_url }}", api_url)
        env["INPUT_" + name.replace(" ", "_").upper()] = default
    for name, value in inputs.items():
        env["INPUT_" + name.replace(" ", "_").upper()] = value
    return env


@dataclass
class StepResult:
    stage: str
    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    state: dict[str, str]
    env_file: dict[str, str]
    summary: str
    seconds: float

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def runner_commands(self) -> list[Command]:
        """Every workflow command the runner acts on in this step's output (both syntaxes)."""
        return [command for _, command in workflow_commands(self.log) if command is not None]

    def commands(self, name: str) -> list[str]:
        """The data of each ``name`` command the runner acts on, as the runner decodes it."""
        return [command.data for command in self.runner_commands() if command.name == name]

    def token_masks(self) -> list[str]:
        """The installation tokens this step masked (``add-mask`` of a ``ghs_`` value), in order;
        the app JWTs the step masks too are left out."""
        return [value for value in self.commands("add-mask") if value.startswith("ghs_")]

    @property
    def errors(self) -> list[str]:
        return self.commands("error")

    @property
    def warnings(self) -> list[str]:
        return self.commands("warning")


@dataclass
class Job:
    """One job's worth of runner state: a workspace, a home, and the file-command files.

    With ``image`` set, each step runs in a container of that image exactly as the runner
    starts a Docker action (``docker run --rm --workdir /github/workspace``, the runner's
    mounts, ``-e NAME`` for each variable, ``--entrypoint`` for the post step,
    ``--network host`` to reach the emulator); otherwise the entrypoint runs as a local
    process with the same environment.
    """

    root: Path
    api_url: str
    repository: str = "octo-org/app"
    extra_env: dict[str, str] = field(default_factory=dict)
    image: str | None = None

    MOUNTS: ClassVar[dict[str, str]] = {
        "workspace": "/github/workspace",
        "home": "/github/home",
        "file_commands": "/github/file_commands",
        "runner_temp": "/github/runner_temp",
    }

    def __post_init__(self) -> None:
        for sub in (*self.MOUNTS, "action"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        post = self.root / "action" / "post"
        if not post.exists():
            post.symlink_to(ENTRYPOINT)

    def _path(self, sub: str, *name: str) -> str:
        """A path under a runner directory, as the step sees it."""
        base = self.MOUNTS[sub] if self.image else str(self.root / sub)
        return "/".join([base, *name])

    def _host(self, visible: str) -> Path:
        """The host path of a path as the step sees it."""
        if self.image:
            for sub, mount in self.MOUNTS.items():
                if visible.startswith(mount + "/"):
                    return self.root / sub / visible[len(mount) + 1 :]
        return Path(visible)

    def runner_env(self, stage: str) -> dict[str, str]:
        files = {
            "GITHUB_OUTPUT": f"set_output_{stage}",
            "GITHUB_STATE": f"save_state_{stage}",
            "GITHUB_ENV": f"set_env_{stage}",
            "GITHUB_PATH": f"add_path_{stage}",
            "GITHUB_STEP_SUMMARY": f"step_summary_{stage}",
        }
        env = {
            "HOME": self._path("home"),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_API_URL": self.api_url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_REPOSITORY_OWNER": self.repository.partition("/")[0],
            "GITHUB_WORKSPACE": self._path("workspace"),
            "GITHUB_ACTION": "mint",
            "GITHUB_RUN_ID": "1",
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": self._path("runner_temp"),
        }
        for key, name in files.items():
            env[key] = self._path("file_commands", name)
            self._host(env[key]).write_text("")
        return env

    def command(self, stage: str, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
        """The command line and the environment of the process that runs ``stage``."""
        if not self.image:
            program = ENTRYPOINT if stage == "main" else self.root / "action" / "post"
            return [sys.executable, "-I", str(program)], {**env, **coverage_env()}  # + coverage, when measured
        argv = ["docker", "run", "--rm", "--network", "host", "--workdir", "/github/workspace"]
        for sub, mount in self.MOUNTS.items():
            argv += ["-v", f"{self.root / sub}:{mount}"]
        argv += ["-v", f"{docker_socket()}:/var/run/docker.sock"]  # as the runner mounts it
        for name in env:
            argv += ["-e", name]  # the value comes from the docker client's environment
        if stage == "post":
            argv += ["--entrypoint", ACTION["runs"]["post-entrypoint"]]
        argv.append(self.image)
        client_env = {k: v for k, v in os.environ.items() if k in ("PATH", "DOCKER_HOST", "DOCKER_CONFIG")}
        return argv, {**client_env, **env}

    def run(
        self,
        stage: str,
        inputs: dict[str, str],
        state: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
        args: list[str] | None = None,
    ) -> StepResult:
        """Run ``stage`` ("main" or "post") and return what the runner would collect.

        ``args`` are ``runs.args`` / ``with: args``, which the runner passes to every stage.
        """
        return self.start(stage, inputs, state, env, args).finish(timeout)

    def start(
        self,
        stage: str,
        inputs: dict[str, str],
        state: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ) -> RunningStep:
        """Start ``stage`` and return at once: the test may signal the step (as the runner does on
        cancellation) before it collects the result with :meth:`RunningStep.finish`."""
        full = self.runner_env(stage)
        full.update(input_env(inputs, self.api_url))
        full.update({f"STATE_{k}": v for k, v in (state or {}).items()})
        full.update(self.extra_env)
        full.update(env or {})
        argv, process_env = self.command(stage, full)
        argv += args or []
        process = subprocess.Popen(
            argv,
            env=process_env,
            cwd=self.root / "workspace",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return RunningStep(self, stage, full, process, time.perf_counter())


def run_script(job: Job, name: str, script: str, env: dict[str, str], timeout: float = 120) -> StepResult:
    """A ``run:`` step of the job on the runner's host: ``bash -e`` (the runner's ``shell: bash`` is
    ``bash --noprofile --norc -eo pipefail {0}``) with the runner's variables for a step (its own
    GITHUB_OUTPUT and the like), ``env`` (the step's ``env:``) and ``PATH``; what the runner collects."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # the test's CLI
    full = {**job.runner_env(name), "PATH": path, **env}
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={**full, **coverage_env()},
        cwd=job.root / "workspace",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )

    def read(key: str) -> str:
        return read_file_command(Path(full[key]))

    return StepResult(
        name,
        done.returncode,
        done.stdout,
        done.stderr,
        parse_file_commands(read("GITHUB_OUTPUT")),
        parse_file_commands(read("GITHUB_STATE")),
        parse_file_commands(read("GITHUB_ENV")),
        read("GITHUB_STEP_SUMMARY"),
        time.perf_counter() - started,
    )


@dataclass
class RunningStep:
    """A step's process while it runs (``docker run`` in the container tier, as the runner starts it)."""

    job: Job
    stage: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    started: float

    def signal(self, number: int) -> None:
        """Send signal ``number`` to the process the runner started (``docker run`` forwards it)."""
        self.process.send_signal(number)

    def finish(self, timeout: float = 120) -> StepResult:
        """Wait for the step to end (killing it after ``timeout`` seconds); what the runner collects."""
        try:
            stdout, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate()
        seconds = time.perf_counter() - self.started

        def read(key: str) -> str:
            return read_file_command(self.job._host(self.env[key])) if self.env.get(key) else ""

        return StepResult(
            self.stage,
            self.process.returncode,
            stdout,
            stderr,
            parse_file_commands(read("GITHUB_OUTPUT")),
            parse_file_commands(read("GITHUB_STATE")),
            parse_file_commands(read("GITHUB_ENV")),
            read("GITHUB_STEP_SUMMARY"),
            seconds,
        )


def docker_socket() -> str:
    """The host's Docker socket (``DOCKER_HOST`` when it names a Unix socket), as the runner mounts it."""
    host = os.environ.get("DOCKER_HOST", "")
    return host.removeprefix("unix://") if host.startswith("unix://") else "/var/run/docker.sock"


def key_fragments(private_key_pem: str) -> list[str]:
    """Pieces of a PEM key that must never be printed: its body lines, and its base64 forms."""
    body_lines = [line for line in private_key_pem.splitlines() if line and not line.startswith("-----")]
    compact = "".join(body_lines)
    return [*body_lines, compact[:48], base64.b64encode(private_key_pem.encode()).decode()[:48]]


def secret_forms(secret: str) -> list[str]:
    """A secret and its encoded forms (base64 of the value, as the runner masks them too).

    For a stateless installation token (``ghs_<APP_ID>_<JWT>``) also its JWT part and that JWT's
    signature: a line showing either is a leak, though the runner's mask of the whole token would
    not hide it.
    """
    forms = [secret, base64.b64encode(secret.encode()).decode()]
    stateless = re.fullmatch(r"ghs_[0-9]+_([^.]+\.[^.]+\.([^.]+))", secret)
    if stateless:
        forms += [stateless.group(1), stateless.group(2)]
    return [f for f in forms if len(f) >= 8]


#: Where a token may be written: the outputs that hand it over, and the state the post step revokes from.
TOKEN_PLACES = frozenset({"output token", "output tokens", "state token", "state tokens"})


def _only_as_its_mask(result: StepResult, secret: str, texts: dict[str, str], allowed: frozenset[str]) -> None:
    """``secret`` (and its base64 form) appears on stdout only as its own ``::add-mask::`` line, which
    comes before any other appearance; nowhere else but the places ``allowed``."""
    for form in secret_forms(secret):
        for where, text in texts.items():
            if where in allowed:
                continue
            if where == "stdout":
                lines = [line for line in output_lines(text) if form in line]
                assert all(line == f"::add-mask::{secret}" for line in lines), (
                    f"{result.stage}: a secret appears on stdout outside its ::add-mask:: line"
                )
                if lines:
                    mask = f"::add-mask::{secret}"
                    mask_at, first = text.index(mask), text.index(form)
                    assert mask_at < first < mask_at + len(mask), "a secret was seen before its mask"
                continue
            assert form not in text, f"{result.stage}: a secret leaked into {where}"


def assert_no_leaks(
    results: list[StepResult], *, tokens: list[str], jwts: list[str], private_key_pem: str, app_jwt: str = ""
) -> None:
    """Assert the secrecy rules over every captured text of every step.

    - A token appears on stdout only as ``::add-mask::<token>``, and that line comes
      before any other line of the step; never on stderr, in the summary, in the
      environment file, or in an output or state other than :data:`TOKEN_PLACES`.
    - Every app JWT (the ``app-jwt`` input, and each one the action signed) appears only as its own
      ``::add-mask::`` line, before any other line; nowhere else.
    - The private key (its lines, and their base64 forms) appears nowhere.
    """
    forbidden = key_fragments(private_key_pem)
    for result in results:
        texts = {
            "stdout": result.stdout,
            "stderr": result.stderr,
            "summary": result.summary,
            "env file": repr(result.env_file),
            **{f"output {k}": v for k, v in result.outputs.items()},
            **{f"state {k}": v for k, v in result.state.items()},
        }
        for where, text in texts.items():
            for secret in forbidden:
                assert secret not in text, f"{result.stage}: a JWT or key fragment leaked into {where}"
        for token in tokens:
            _only_as_its_mask(result, token, texts, TOKEN_PLACES)
        for jwt_value in {*jwts, app_jwt} - {""}:
            _only_as_its_mask(result, jwt_value, texts, frozenset())


def jwts_seen(exchanges: list[Any]) -> list[str]:
    """Every app JWT the emulator received (Authorization: Bearer <three dot-separated parts>)."""
    found = []
    for exchange in exchanges:
        value = exchange.headers.get("Authorization", "")
        scheme, _, credential = value.partition(" ")
        if scheme.lower() == "bearer" and credential.count(".") == 2 and not credential.startswith("ghs_"):
            found.append(credential)
    return found


def runner_view(result: StepResult, masks: list[str], *, debug: bool = False) -> list[str]:
    """The step log as the runner shows it: commands consumed, masked values as ``***``.

    ``masks`` collects every ``add-mask`` value seen so far (masks last for the job).
    """
    shown: list[str] = []
    for line, command in workflow_commands(result.log):
        if command is not None:
            if command.name == "add-mask":
                masks.append(command.data)
                continue
            if command.name == "debug" and not debug:
                continue
            prefix = {"error": "Error: ", "warning": "Warning: ", "notice": "Notice: ", "debug": "Debug: "}
            line = prefix.get(command.name, f"[{command.name}] ") + command.data
        for secret in masks:
            line = line.replace(secret, "***")
        shown.append(line)
    return shown


#: The only workflow commands the action writes.
OUR_COMMANDS = frozenset({"add-mask", "error", "warning", "notice", "debug"})


def signed_by(value: str, keys: list[Any]) -> bool:
    """True when ``value`` is a JWT signed (RS256) by one of ``keys`` (public keys)."""
    for key in keys:
        try:
            pyjwt.decode(value, key, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})
        except pyjwt.PyJWTError:
            continue
        return True
    return False


def assert_only_our_commands(
    results: list[StepResult],
    tokens: list[str],
    app_jwt: str = "",
    jwts: list[str] | None = None,
    app_keys: list[Any] | None = None,
) -> None:
    """The runner acts on no command the action did not mean: no text from GitHub or an input forms one.

    Read with the runner's own rules (``::cmd::`` at a line's start, ``##[cmd]`` anywhere, CR
    ending a line); ``add-mask`` may only carry a token GitHub issued, the ``app-jwt`` input, or an
    app JWT the action signed: one GitHub received (``jwts``), or one signed by an app's key
    (``app_keys``, public keys: a request that never arrived still had its JWT masked first).
    """
    secrets = {*tokens, app_jwt, *(jwts or ())} - {""}
    for result in results:
        for command in result.runner_commands():
            assert command.name in OUR_COMMANDS, f"{result.stage}: the runner would act on {command.name!r}"
            if command.name == "add-mask":
                known = command.data in secrets or signed_by(command.data, app_keys or [])
                assert known, f"{result.stage}: add-mask of what is no secret"
