"""action.yml: its permission inputs match GitHub's permission list, and it is complete."""

from __future__ import annotations

import json
import subprocess
import sys

from github_app_token.permission_levels import PERMISSION_LEVELS
from tests.runner_harness import ACTION, ROOT

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
    }
    assert ACTION["inputs"]["private-key"]["required"] is True
    assert ACTION["inputs"]["skip-token-revoke"]["default"] == "false"
    assert ACTION["inputs"]["github-api-url"]["default"] == "${{ github.api_url }}"
    runs = ACTION["runs"]
    assert runs["using"] == "docker" and runs["image"] == "Dockerfile"
    assert runs["post-entrypoint"].startswith("/") and " " not in runs["post-entrypoint"]
    assert runs["post-if"] == "always()"
