#!/usr/bin/env python3
"""Copy the GitHub Actions runner's rules, as data, into ``data/actions-runner/runner-rules.json``.

Usage: ``python scripts/vendor_runner_rules.py GIT_DIR [COMMIT]`` where GIT_DIR is a clone
(or bare mirror) of ``actions/runner`` and COMMIT defaults to ``HEAD``.

Only facts are kept, each with the file it came from:
- ``action-yaml``: the template schema the runner reads every ``action.yml`` with
  (``src/Runner.Worker/action_yaml.json``), its ``description`` prose removed;
- ``workflow-commands``: the command names the runner acts on in a step's output
  (the ``Command => "..."`` extensions of ``src/Runner.Worker/ActionCommandManager.cs``,
  plus ``stop-commands``, minus the internal one it unregisters);
- ``expression-functions``: the functions every expression may call, with their
  argument counts (``src/Sdk/Expressions/ExpressionConstants.cs``);
- ``condition-functions``: the status functions a step condition (``if:``, and an
  action's ``pre-if`` / ``post-if``) may call (``src/Runner.Worker/StepsRunner.cs``).
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "data" / "actions-runner" / "runner-rules.json"
FILES = {
    "action-yaml": "src/Runner.Worker/action_yaml.json",
    "workflow-commands": "src/Runner.Worker/ActionCommandManager.cs",
    "expression-functions": "src/Sdk/Expressions/ExpressionConstants.cs",
    "condition-functions": "src/Runner.Worker/StepsRunner.cs",
}


def show(git_dir: str, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
    ).stdout.lstrip("\ufeff")


def without_descriptions(node: Any, *, names: bool = False) -> Any:
    """Drop each definition's ``description`` prose; keys of ``properties`` are names, kept as they are."""
    if isinstance(node, dict):
        return {
            key: without_descriptions(value, names=key == "properties")
            for key, value in node.items()
            if names or key != "description"
        }
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


def commands(source: str) -> list[str]:
    names = set(re.findall(r'Command\s*=>\s*"([a-z-]+)"', source))
    names |= set(re.findall(r'_stopCommand\s*=\s*"([a-z-]+)"', source))
    for removed in re.findall(r'_registeredCommands\.Remove\("([a-z-]+)"\)', source):
        names.discard(removed)
    return sorted(names)


def functions(source: str, pattern: str) -> dict[str, list[int | None]]:
    """``{name: [min, max]}``; ``None`` stands for "no upper bound"."""
    found: dict[str, list[int | None]] = {}
    for name, low, high in re.findall(pattern, source):
        found[name] = [int(low), None if "MaxValue" in high else int(high)]
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    git_dir, commit = argv[1], argv[2] if len(argv) > 2 else "HEAD"
    full = subprocess.run(
        ["git", "--git-dir", git_dir, "rev-parse", commit], capture_output=True, text=True, check=True
    ).stdout.strip()
    texts = {key: show(git_dir, full, path) for key, path in FILES.items()}
    data = {
        "x-provenance": {
            "upstream_repository": "actions/runner",
            "commit": full,
            "files": FILES,
            "license": "MIT (actions/runner)",
            "extracted_on": datetime.date.today().isoformat(),
            "vendored_by": "scripts/vendor_runner_rules.py (structure only; prose removed)",
        },
        "action-yaml": without_descriptions(json.loads(texts["action-yaml"])),
        "workflow-commands": commands(texts["workflow-commands"]),
        "expression-functions": functions(
            texts["expression-functions"], r'AddFunction<\w+>\("(\w+)",\s*(\d+),\s*([\w.]+)\)'
        ),
        "condition-functions": functions(
            texts["condition-functions"],
            r"FunctionInfo<\w+>\(PipelineTemplateConstants\.(\w+),\s*(\d+),\s*([\w.]+)\)",
        ),
    }
    # StepsRunner names the status functions by constant; the constants are their lower-case names.
    data["condition-functions"] = {
        name[0].lower() + name[1:]: bounds for name, bounds in data["condition-functions"].items()
    }
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {TARGET.relative_to(ROOT)} from actions/runner@{full[:12]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
