#!/usr/bin/env python3
"""Copy the structure of GitHub's REST API description into ``data/github-api/``.

Usage: ``python scripts/vendor_github_api.py [SOURCE_DIR]`` where SOURCE_DIR holds
``operations.json`` and ``app-permissions.json`` (default: ``../shared/github-api``).

Only structure is kept: operation and schema shapes, names, types, enums and
required fields. Prose (descriptions, summaries, examples, documentation links)
is dropped. Both output files carry the source's provenance under ``x-provenance``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "github-api"
TARGET = ROOT / "data" / "github-api"

# Keywords whose values are prose, not structure.
PROSE_KEYS = frozenset({"description", "summary", "example", "examples", "externalDocs", "title"})
# Keywords whose values map arbitrary names to schemas (the names are structure).
NAME_MAPS = frozenset({"properties", "paths", "responses", "content", "headers"})


def strip_prose(node: Any, *, names: bool = False) -> Any:
    """Return ``node`` without prose keywords; keys of name maps are kept as they are."""
    if isinstance(node, list):
        return [strip_prose(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: strip_prose(value) for key, value in node.items()}
    return {key: strip_prose(value, names=key in NAME_MAPS) for key, value in node.items() if key not in PROSE_KEYS}


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    operations = json.loads((source / "operations.json").read_text())
    permissions = json.loads((source / "app-permissions.json").read_text())
    TARGET.mkdir(parents=True, exist_ok=True)

    ops_out = {
        "openapi": operations["openapi"],
        "x-provenance": operations["x-provenance"],
        "x-vendored": "structure only (no prose) of x-paths-dereferenced, by scripts/vendor_github_api.py",
        "paths": strip_prose(operations["x-paths-dereferenced"], names=True),
    }
    perm_out = {
        "x-provenance": permissions["x-provenance"],
        "x-vendored": "structure only (no prose), by scripts/vendor_github_api.py",
        "x-levels": permissions["x-levels"],
        "schema": strip_prose(permissions["schema"]),
    }
    for name, data in (("operations.json", ops_out), ("app-permissions.json", perm_out)):
        (TARGET / name).write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
        print(f"wrote {TARGET / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
