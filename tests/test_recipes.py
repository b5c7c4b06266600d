"""The README's CLI recipes, run as copied: the macOS/Windows steps as host steps of a job (the runner
harness), the GitLab job's sections, the laptop commands and the git credential helper.

Only what cannot exist here is replaced, the same way in every recipe: the placeholders (the client
ID ``Iv23liAbCdEf123456``, the key's path, ``my-org`` and its repositories) by the emulator's app,
owner and repositories, ``https://github.com`` by the emulator's git side, and the API by
``GITHUB_API_URL`` (the CLI's default). Installing the package (``pipx``, ``pip``) is left out: the
test's own installation runs, and tests/test_packaging.py checks the installable wheel.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.coverage_env import coverage_env
from tests.git_server import GitServer, clean_git_env, serve_git
from tests.github_emulator import App, GitHubEmulator
from tests.runner_harness import ROOT, Job, StepResult, key_fragments, run_script, runner_view, secret_forms

README = (ROOT / "README.md").read_text()
CLI = str(Path(sys.executable).parent / "github-app-token")
#: The test's installation first on PATH, as pip puts the command on a user's.
PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def recipe(name: str) -> str:
    """The code block after ``<!-- recipe: name -->`` in the README."""
    match = re.search(rf"<!-- recipe: {re.escape(name)} -->\n```[a-z]*\n(.*?)```", README, re.DOTALL)
    assert match, f"no recipe {name!r} in the README"
    return match.group(1)


def localised(text: str, app: App, key_file: Path, git: GitServer) -> str:
    """The recipe with its placeholders replaced by this test's place."""
    for placeholder in ("~/Downloads/my-app.private-key.pem", "~/keys/my-app.pem"):
        text = text.replace(placeholder, str(key_file))
    host = git.base_url.removeprefix("http://")
    return (
        text.replace("Iv23liAbCdEf123456", app.client_id)
        .replace("https://x-access-token:", "http://x-access-token:")  # the emulator's git side has no TLS
        .replace("@github.com/", f"@{host}/")
        .replace("https://github.com", git.base_url)
        .replace("my-org/docs", "octo-org/app")
        .replace("my-org/website", "octo-org/app")
        .replace("--repositories docs", "--repositories app")
        .replace("--repositories website", "--repositories app")
        .replace("my-org", "octo-org")
    )


@pytest.fixture
def place(emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path) -> dict[str, Any]:
    key_file = tmp_path / "app.pem"
    key_file.write_text(app_key_pem)
    key_file.chmod(0o600)
    return {"git": serve_git(emulator, tmp_path / "git"), "key_file": key_file}


def assert_quiet(texts: list[str], emulator: GitHubEmulator, key_pem: str, allowed: tuple[str, ...] = ()) -> None:
    for text in texts:
        for token in emulator.tokens:
            for form in secret_forms(token):
                lines = [line for line in text.splitlines() if form in line]
                assert all(line in allowed or line == f"::add-mask::{token}" for line in lines), "a token leaked"
        for fragment in key_fragments(key_pem):
            assert fragment not in text


# --- macOS and Windows runners: host steps ----------------------------------------------------------
def expand(value: str, context: dict[str, str]) -> str:
    """``${{ a.b.c }}`` expressions of the recipe, from ``context`` (the runner evaluates them)."""
    return re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", lambda m: context[m.group(1)], value)


def test_the_macos_and_windows_recipe_runs_as_host_steps(
    place: dict[str, Any], emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    workflow = yaml.safe_load(localised(recipe("macos-windows"), app, place["key_file"], place["git"]))
    (job_spec,) = workflow["jobs"].values()
    assert job_spec["defaults"]["run"]["shell"] == "bash"
    job = Job(tmp_path / "job", emulator.url)
    context = {"vars.APP_CLIENT_ID": app.client_id, "secrets.APP_PRIVATE_KEY": app_key_pem}
    context["github.repository_owner"] = "octo-org"
    results: list[StepResult] = []
    outputs: dict[str, str] = {}
    for step in job_spec["steps"]:
        if "uses" in step:  # actions/checkout with the token: the same, with git, below
            assert expand(step["with"]["token"], context) == outputs["token"]
            cloned = subprocess.run(
                ["git", "ls-remote", place["git"].credential_url("octo-org", "app", outputs["token"])],
                env=clean_git_env(tmp_path / "home"), capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert cloned.returncode == 0, cloned.stderr
            continue
        if step["run"].startswith("pipx install"):
            assert re.search(r'"github-app-token==[0-9.]+"', step["run"]), "the recipe pins the release"
            continue
        if "if" in step:
            assert step["if"] == "always() && steps.app-token.outputs.tokens != ''" and outputs.get("tokens")
        env = {name: expand(str(value), context) for name, value in (step.get("env") or {}).items()}
        script = step["run"].replace("--repositories shared-config", "--repositories app")
        result = run_script(job, step.get("id", "step"), script, env)
        assert result.exit_code == 0, result.log
        results.append(result)
        if step.get("id") == "app-token":
            outputs = result.outputs
            context.update({f"steps.app-token.outputs.{k}": v for k, v in outputs.items()})
    create, revoke = results
    (token,) = emulator.tokens
    assert create.commands("add-mask")[-1] == token and create.stdout.index(
        f"::add-mask::{token}"
    ) < create.stdout.index("Created an installation access token")
    assert set(outputs) >= {
        "token",
        "tokens",
        "installation-id",
        "app-slug",
        "expires-at",
        "permissions",
        "repositories",
    }
    assert json.loads(outputs["tokens"]) == {"octo-org": token} and outputs["token"] == token
    assert emulator.tokens[token].revoked and revoke.stdout == "octo-org\trevoked\n"
    masks: list[str] = []
    shown = "\n".join(line for result in results for line in runner_view(result, masks))
    assert token not in shown and create.summary.startswith("### GitHub App installation token")
    assert_quiet([create.stderr, revoke.stdout + revoke.stderr, shown], emulator, app_key_pem)


def test_the_macos_recipe_fails_with_the_clis_words(
    place: dict[str, Any], emulator: GitHubEmulator, app: App, tmp_path: Path
) -> None:
    """A mistake in the create step: one ::error:: naming the CLI's option, the CLI's exit code."""
    job = Job(tmp_path / "job", emulator.url)
    script = 'github-app-token create --client-id "$APP_CLIENT_ID" --permission contents=writ --github-output'
    result = run_script(job, "app-token", script, {"APP_CLIENT_ID": app.client_id, "GITHUB_APP_PRIVATE_KEY": "x"})
    assert result.exit_code == 2
    assert result.errors == ["--permission contents=… must be one of: read, write; it is 'writ'."]
    assert result.outputs == {} and not emulator.tokens


# --- GitLab CI -------------------------------------------------------------------------------------------------
def gitlab_section(commands: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """One section of a GitLab job, as its shell executor runs it: one bash, errexit and pipefail."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(commands)],
        env={**env, **coverage_env()}, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("clone_fails", [False, True], ids=["success", "the job fails after create"])
def test_the_gitlab_recipe(
    place: dict[str, Any], emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path, clone_fails: bool
) -> None:
    job_spec = yaml.safe_load(localised(recipe("gitlab"), app, place["key_file"], place["git"]))["update-docs"]
    assert job_spec["image"] != "python:3.13-slim"  # it has no git
    (install,) = job_spec["before_script"]
    assert install.startswith("pip install") and "github-app-token==" in install
    project = tmp_path / "project"
    project.mkdir()
    env = {
        **clean_git_env(tmp_path / "home"),
        **{name: str(value) for name, value in job_spec["variables"].items()},
        "GITHUB_API_URL": emulator.url,
        # A masked variable holds the key's base64 (a multi-line PEM cannot be masked).
        "GITHUB_APP_PRIVATE_KEY": base64.b64encode(app_key_pem.encode()).decode(),
        "CI_PROJECT_DIR": str(project),
    }
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    script = job_spec["script"]
    if clone_fails:
        script = [line.replace("octo-org/app.git", "octo-org/missing.git") for line in script]
    done = gitlab_section(script, env, project)
    assert (done.returncode != 0) is clone_fails, done.stderr
    (token,) = emulator.tokens
    assert (project / "app" / ".git").is_dir() is not clone_fails
    assert oct((project / ".github-app-token").stat().st_mode & 0o777) == oct(0o600)
    after = gitlab_section(job_spec["after_script"], env, project)
    assert after.returncode == 0, after.stderr
    assert emulator.tokens[token].revoked and not (project / ".github-app-token").exists()
    assert_quiet([done.stdout + done.stderr, after.stdout + after.stderr], emulator, app_key_pem)


def test_a_gitlab_file_variable_is_named_as_a_path(emulator: GitHubEmulator, app: App, place: dict[str, Any]) -> None:
    """GitLab's File variables hold the file's path: the error says to pass it with --private-key-file."""
    done = subprocess.run(
        [CLI, "create", "--client-id", app.client_id, "--owner", "octo-org", "--api-url", emulator.url],
        env={"PATH": PATH, "GITHUB_APP_PRIVATE_KEY": "/builds/my-org/docs.tmp/APP_KEY", **coverage_env()},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "holds a file path" in done.stderr and "--private-key-file PATH" in done.stderr


# --- a laptop; git's credential helper -------------------------------------------------------------------------
def test_the_laptop_recipe(
    place: dict[str, Any], emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"  # the GitHub CLI is not installed here: a stand-in that does what the recipe asks of it
    gh.write_text(
        "#!/bin/sh\n"
        '[ "$1 $2" = "api repos/octo-org/app" ] || exit 64\n'
        'curl --silent --fail -H "Authorization: token $GH_TOKEN" "$GITHUB_API_URL/installation/repositories" '
        "| python3 -c \"import json, sys; print(json.load(sys.stdin)['repositories'][0]['full_name'])\"\n"
    )
    gh.chmod(0o755)
    env = {
        "PATH": os.pathsep.join([str(bin_dir), PATH]),
        "GITHUB_API_URL": emulator.url,
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", localised(recipe("laptop"), app, place["key_file"], place["git"])],
        env={**env, **coverage_env()}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "octo-org/app\nrevoked\n"
    (token,) = emulator.tokens.values()
    assert token.revoked and token.permissions == {"contents": "read"}
    assert_quiet([done.stdout + done.stderr], emulator, app_key_pem)


def test_the_git_credential_recipe(
    place: dict[str, Any], emulator: GitHubEmulator, app: App, app_key_pem: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**clean_git_env(home), "GITHUB_API_URL": emulator.url}
    env.pop("GIT_CONFIG_GLOBAL")  # the recipe writes the user's global configuration
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    script = localised(recipe("git-credential"), app, place["key_file"], place["git"]).replace(
        "octo-org/website.git", "octo-org/app.git"
    )
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        env={**env, **coverage_env()},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app" / ".git").is_dir()
    (token,) = emulator.tokens.values()
    assert token.permissions == {"contents": "write"}
    assert_quiet([done.stdout + done.stderr], emulator, app_key_pem)
