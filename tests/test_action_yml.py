"""action.yml: its permission inputs match GitHub's permission list, and it is complete."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest
import yaml

from github_app_token.permission_levels import PERMISSION_LEVELS
from scripts.generate_permissions import load_levels, render_inputs
from scripts.pin_image import pin
from tests.runner_harness import ACTION, ROOT
from tests.runner_rules import RULES, check_action_metadata, check_expression, evaluate_condition

DATA = json.loads((ROOT / "data" / "github-api" / "app-permissions.json").read_text())


def test_permission_inputs_are_exactly_the_api_permissions() -> None:
    listed = {name for name in ACTION["inputs"] if name.startswith("permission-")}
    expected = {"permission-" + name.replace("_", "-") for name in DATA["x-levels"]}
    assert len(expected) == 55
    assert listed == expected


def test_permission_levels_module_matches_the_schema() -> None:
    properties = DATA["schema"]["properties"]
    assert {name: tuple(spec["enum"]) for name, spec in properties.items()} == PERMISSION_LEVELS
    assert list(PERMISSION_LEVELS) == list(properties)  # same order as the API description


def test_permission_input_descriptions_name_the_levels() -> None:
    for name, levels in PERMISSION_LEVELS.items():
        description = ACTION["inputs"]["permission-" + name.replace("_", "-")]["description"]
        assert all(f"`{level}`" in description for level in levels)


def test_generated_files_are_up_to_date() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_permissions.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout


def test_inputs_outputs_and_runs() -> None:
    for section in ("inputs", "outputs"):
        for name, spec in ACTION[section].items():
            assert len(spec.get("description", "")) > 30, f"{section} {name} needs a useful description"
    assert set(ACTION["outputs"]) == {
        "token",
        "installation-id",
        "app-slug",
        "expires-at",
        "permissions",
        "repositories",
        "bot-name",
        "bot-user-id",
        "bot-email",
        "tokens",
        "installations",
        "token-command",
        "skipped",
    }
    assert ACTION["inputs"]["private-key"]["required"] is False  # not with app-jwt
    assert ACTION["inputs"]["skip-token-revoke"]["default"] == "false"
    assert ACTION["inputs"]["github-api-url"]["default"] == "${{ github.api_url }}"
    runs = ACTION["runs"]
    assert runs["using"] == "docker" and runs["image"] == "Dockerfile"
    assert runs["post-entrypoint"].startswith("/") and " " not in runs["post-entrypoint"]
    assert "${{" not in runs["post-if"]  # a condition, read without ${{ }}


# --- action.yml as the runner reads it (tests/runner_rules.py, data from actions/runner) ------------
OLD_PRIVATE_KEY_DESCRIPTION = (
    "A private key of the GitHub App. Store it as a secret and pass `${{ secrets.YOUR_SECRET }}`."
)


def test_action_yml_loads_by_the_runners_rules() -> None:
    assert check_action_metadata(ACTION) == []


def test_the_released_action_yml_loads_too() -> None:
    pinned = yaml.safe_load(pin((ROOT / "action.yml").read_text(), "ghcr.io/o/n@sha256:" + "0" * 64))
    assert check_action_metadata(pinned) == []


def test_generated_permission_inputs_load_by_the_runners_rules() -> None:
    block = yaml.safe_load(render_inputs(load_levels()))
    assert len(block) == len(PERMISSION_LEVELS)
    assert check_action_metadata({"name": "x", "inputs": block, "runs": {"using": "docker", "image": "x"}}) == []


def with_change(path: tuple[str, ...], value: object) -> Any:
    """A copy of action.yml with the value at ``path`` (e.g. ``("inputs", "owner", "default")``) replaced."""
    document = copy.deepcopy(ACTION)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            (("inputs", "private-key", "description"), OLD_PRIVATE_KEY_DESCRIPTION),
            "Unrecognized named-value: 'secrets'",
        ),
        ((("inputs", "owner", "description"), "Defaults to ${{ github.repository_owner }}."), "not allowed here"),
        ((("inputs", "owner", "default"), "${{ secrets.OWNER }}"), "Unrecognized named-value: 'secrets'"),
        ((("inputs", "owner", "default"), "${{ steps.x.outputs.y }}"), "Unrecognized named-value: 'steps'"),
        ((("runs", "args"), ["${{ github.token }}"]), "Unrecognized named-value: 'github'"),
        ((("runs", "env"), {"A": "${{ env.B }}"}), "Unrecognized named-value: 'env'"),
        ((("runs", "post-if"), "${{ always() }}"), "not allowed here"),
        ((("outputs", "token", "description"), "The token (${{ x }})"), "not allowed here"),
        ((("name",), "${{ github.action }}"), "not allowed here"),
        ((("inputs", "owner", "default"), "${{ github.x"), "not closed"),
        # Only a whole value of the form ${{ '...' }} is read as literal text.
        ((("inputs", "owner", "description"), "Text ${{ 'literal' }}"), "not allowed here"),
    ],
)
def test_the_runners_rules_refuse_misplaced_expressions(change: tuple[tuple[str, ...], object], problem: str) -> None:
    problems = check_action_metadata(with_change(*change))
    assert any(problem in found for found in problems), problems


@pytest.mark.parametrize(
    "change",
    [
        (("inputs", "owner", "default"), "${{ github.repository_owner }}"),
        (("inputs", "owner", "default"), "${{ hashFiles('a', 'b') }}-${{ runner.os }}"),
        (("inputs", "owner", "description"), "${{ 'Literal text: ${{ secrets.X }}' }}"),
        (("runs", "args"), ["--owner", "${{ inputs.owner }}"]),
        (("runs", "env"), {"OWNER": "${{ inputs.owner }}"}),
    ],
)
def test_the_runners_rules_accept_expressions_where_it_does(change: tuple[tuple[str, ...], object]) -> None:
    assert check_action_metadata(with_change(*change)) == []


def test_post_step_runs_after_any_outcome_on_linux_only() -> None:
    """post-if, evaluated as the runner evaluates a step condition (tests/runner_rules.py)."""
    condition = ACTION["runs"]["post-if"]
    step_if = frozenset(RULES["action-yaml"]["definitions"]["step-if"]["context"])
    assert check_expression(condition, step_if) == []
    for status in ("success", "failure", "cancelled"):
        assert evaluate_condition(condition, status=status, runner_os="Linux"), status
        for other in ("Windows", "macOS"):
            assert not evaluate_condition(condition, status=status, runner_os=other), (status, other)


def test_the_condition_evaluator_adds_success_when_no_status_function_is_called() -> None:
    assert evaluate_condition("runner.os == 'Linux'", status="success")
    assert not evaluate_condition("runner.os == 'Linux'", status="failure")
    assert evaluate_condition("always()", status="failure", runner_os="Windows")
