"""The README and the repository files stay true to action.yml and to the messages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from github_app_token import messages
from github_app_token.names import ACTION_NAMES
from tests.runner_harness import ACTION, ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def table_first_column(text: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)` \|", text, re.MULTILINE)


def test_inputs_table_matches_action_yml() -> None:
    listed = table_first_column(section("Inputs"))
    inputs = ACTION["inputs"]
    expected = [name for name in inputs if not name.startswith("permission-")] + ["permission-<name>"]
    assert sorted(n for n in listed if not n.startswith("permission-") or n == "permission-<name>") == sorted(expected)
    assert sorted(n for n in listed if n.startswith("permission-") and n != "permission-<name>") == sorted(
        n for n in inputs if n.startswith("permission-")
    )
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \| ([^|]*) \|", section("Inputs"), re.M)}
    for name, spec in inputs.items():
        if "default" in spec and name in rows:
            assert str(spec["default"]) in rows[name], f"README default of {name}"


def test_outputs_table_matches_action_yml() -> None:
    assert table_first_column(section("Outputs")) == list(ACTION["outputs"])


def yaml_examples() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)


def our_steps(node: object) -> list[dict[str, object]]:
    """Every step (at any depth) that uses this action."""
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        if "github-app-token" in str(node.get("uses", "")):
            found.append(node)
        for value in node.values():
            found += our_steps(value)
    elif isinstance(node, list):
        for item in node:
            found += our_steps(item)
    return found


def test_readme_has_the_promised_examples() -> None:
    titles = re.findall(r"^### (.+)$", README, re.MULTILINE)
    for expected in (
        "Check out another private repository",
        "Push to another repository",
        "`gh`",
        "Least privilege",
        "Several owners",
        "GitHub Enterprise Server, a proxy, a private CA",
        "The CLI in another CI system",
    ):
        assert any(expected in title for title in titles), expected
    assert len(yaml_examples()) >= 8


@pytest.mark.parametrize("example", yaml_examples())
def test_yaml_examples_parse_and_use_real_inputs_and_outputs(example: str) -> None:
    document = yaml.safe_load(example)
    steps = our_steps(document)
    if "gitlab" in example or "--github-output" in example:  # the CLI's recipes (tests/test_recipes.py)
        assert "github-app-token create" in example
        return
    assert steps, "an example that does not use the action"
    for step in steps:
        given = step.get("with") or {}
        assert isinstance(given, dict)
        assert set(given) <= set(ACTION["inputs"]), set(given) - set(ACTION["inputs"])
        step_id = step.get("id")
        used = re.findall(rf"steps\.{step_id}\.outputs\.([A-Za-z0-9_-]+)", example)
        assert set(used) <= set(ACTION["outputs"]), set(used) - set(ACTION["outputs"])


NOT_ERRORS = {
    "KEY_HELP",
    "INSTALLATION_NOT_FOUND_REPO",
    "INSTALLATION_NOT_FOUND_OWNER",
    "INSTALL_FIX_WITH_SLUG",
    "INSTALL_FIX_NO_SLUG",
    "POST_SKIPPED",
    "POST_NO_TOKEN",
    "POST_EXPIRED",
    "POST_REVOKED",
    "POST_REVOKED_ONE",
    "APP_JWT_HOW",  # the fix appended to each app-jwt refusal, as KEY_HELP is
    "POST_EXPIRED_OR_REVOKED",
    "CANCELLED_NONE",  # the sentences the cancellation message ends with
    "CANCELLED_REVOKED",
    "RESENT",  # a debug line (docs/reliability.md and SECURITY.md explain it)
    "DISCARDED",  # info lines, after an error that has its own entry
    "DISCARD_FAILED",
}


def troubleshooting_keys() -> list[str]:
    """The quoted message fragments the Troubleshooting section is keyed by."""
    return [key for key in re.findall(r"`([^`]+)`", section("Troubleshooting")) if len(key) >= 12]


@pytest.mark.parametrize("name", [n for n in vars(messages) if n.isupper() and n not in NOT_ERRORS])
def test_troubleshooting_covers_every_message(name: str) -> None:
    # As a workflow's user reads it: the inputs named as the action names them.
    template = re.sub(
        r"\{inputs\[([^\]]+)\]\}",
        lambda m: ACTION_NAMES[m.group(1)],
        getattr(messages, name).split(messages.KEY_HELP)[0],
    )
    covered = [key for key in troubleshooting_keys() if all(part in template for part in key.split(" ... "))]
    assert covered, f"{name} has no entry in the README's Troubleshooting section"


def test_troubleshooting_covers_the_runner_message() -> None:
    from github_app_token.runner import MISSING_FILE_COMMAND

    assert any(key in MISSING_FILE_COMMAND for key in troubleshooting_keys())


def test_key_not_rsa_is_covered() -> None:
    assert "GitHub App keys are RSA keys" in messages.KEY_NOT_RSA
    assert "GitHub App keys are RSA keys" in section("Troubleshooting")


def test_repository_files() -> None:
    for name in ("CONTRIBUTING.md", "SECURITY.md", "CHANGELOG.md", "LICENSE"):
        assert (ROOT / name).is_file(), name
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    assert "scripts/demo" in contributing and "scripts/test" in contributing
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert "exec scripts/test" in ci_run and "scripts/test" in README


def check_jsonschema() -> str:
    found = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    return found


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-actions", ["action.yml"]),
        (
            "vendor.github-workflows",
            sorted(str(p.relative_to(ROOT)) for p in (ROOT / ".github/workflows").glob("*.yml")),
        ),
        ("vendor.dependabot", [".github/dependabot.yml"]),
    ],
)
def test_metadata_validates_against_githubs_schemas(schema: str, files: list[str]) -> None:
    assert files
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", schema, *files], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pin_actions_and_limit_permissions() -> None:
    for path in (ROOT / ".github/workflows").glob("*.yml"):
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] == {"contents": "read"}, path.name
        for job_name, job in workflow["jobs"].items():
            assert "timeout-minutes" in job, f"{path.name}: {job_name}"
            for step in job.get("steps", []):
                uses = step.get("uses", "")
                if uses and not uses.startswith("./"):
                    assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{path.name}: {uses} not pinned"


# The examples' placeholder for this action's own home (OWNER/github-app-token@v1) is the one
# reference allowed to be pinned by tag: the README tells users to pin it by commit SHA.
ZIZMOR_README_CONFIG = """\
rules:
  unpinned-uses:
    config:
      policies:
        OWNER/github-app-token: ref-pin
        "*": hash-pin
"""


def as_workflow(example: str, index: int) -> str | None:
    """A README example as a whole workflow file (steps get a job around them); None for other CI systems."""
    document = yaml.safe_load(example)
    if not isinstance(document, dict) or not ({"jobs", "steps"} & set(document)):
        return None
    jobs = document.get("jobs") or {
        "example": {"runs-on": "ubuntu-latest", "timeout-minutes": 10, "steps": document["steps"]}
    }
    workflow = {"name": f"example {index}", "on": "push", "permissions": {}, "jobs": jobs}
    return yaml.safe_dump(workflow, sort_keys=False)


def zizmor(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    found = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    return subprocess.run([found, "--offline", "--no-progress", *args], cwd=cwd, capture_output=True, text=True)


def test_readme_examples_pass_zizmor(tmp_path: Path) -> None:
    written = []
    for index, example in enumerate(yaml_examples()):
        workflow = as_workflow(example, index)
        if workflow is not None:
            path = tmp_path / f"example-{index}.yml"
            path.write_text(workflow)
            written.append(str(path))
    assert len(written) >= 7
    config = tmp_path / "zizmor.yml"
    config.write_text(ZIZMOR_README_CONFIG)
    result = zizmor("--strict-collection", "--config", str(config), *written)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count("completed") == len(written), result.stderr


def test_zizmor_catches_an_expression_in_a_run_script(tmp_path: Path) -> None:
    """The check above can fail: the pattern the README must not teach is reported."""
    bad = 'steps:\n  - run: echo "${{ steps.app-token.outputs.bot-name }}"\n'
    path = tmp_path / "bad.yml"
    path.write_text(as_workflow(bad, 0) or "")
    result = zizmor(str(path))
    assert result.returncode != 0 and "template-injection" in result.stdout + result.stderr
