#!/usr/bin/env python3
"""Copy the structure of GitHub's REST API description into ``data/github-api/``.

Usage: ``python scripts/vendor_github_api.py [SOURCE_DIR] [--setup-source FILE]`` where SOURCE_DIR
holds ``operations.json`` and ``app-permissions.json`` (default: ``../shared/github-api``).

``--setup-source`` adds the operations of ``github-app-token setup`` (:data:`SETUP_OPERATIONS`) from
FILE: ``generated/api.github.com.json`` of the npm package ``@octokit/openapi@23.0.2`` (the bulk copy
SOURCE_DIR's provenance names; ``npm pack @octokit/openapi@23.0.2``, tarball sha1
``743435033357133786d56271b48a67991a614b0a``), with every ``$ref`` resolved and Octokit's
``x-octokit`` keys removed. Operations SOURCE_DIR already has are kept from it. Without the option,
the operations vendored earlier from that source are kept as they are (``x-provenance-setup``).

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


#: The operations ``github-app-token setup`` and its tests use, beyond the action's (method, path).
SETUP_OPERATIONS = (
    ("post", "/app-manifests/{code}/conversions"),
    ("get", "/user"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/actions/secrets/public-key"),
    ("put", "/repos/{owner}/{repo}/actions/secrets/{secret_name}"),
    ("get", "/orgs/{org}/actions/secrets/public-key"),
    ("put", "/orgs/{org}/actions/secrets/{secret_name}"),
    ("post", "/repos/{owner}/{repo}/actions/variables"),
    ("patch", "/repos/{owner}/{repo}/actions/variables/{name}"),
    ("post", "/orgs/{org}/actions/variables"),
    ("patch", "/orgs/{org}/actions/variables/{name}"),
    ("post", "/repos/{owner}/{repo}/dispatches"),
)
SETUP_PROVENANCE = {
    "source": "npm @octokit/openapi@23.0.2, file generated/api.github.com.json ('x-octokit' keys removed)",
    "tarball_sha1": "743435033357133786d56271b48a67991a614b0a",
    "operations": [f"{method.upper()} {path}" for method, path in SETUP_OPERATIONS],
    "how": "scripts/vendor_github_api.py --setup-source package/generated/api.github.com.json",
    "caveat": (
        "octokit/openapi replaces PUT /orgs/{org}/actions/secrets/{secret_name} with its own override "
        "(selected_repository_ids items integer or string; only 'visibility' required); the others are "
        "GitHub's rest-api-description text as Octokit ships it. Not checked field by field against upstream."
    ),
}


def dereference(node: Any, document: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``node`` with every local ``$ref`` replaced by its target; a reference back into itself becomes ``{}``.

    A ``discriminator`` is left out: its mapping names components, which a dereferenced copy has not
    (the ``oneOf`` beside it still says which shapes are allowed).
    """
    if isinstance(node, list):
        return [dereference(item, document, seen) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/"):
        if reference in seen:
            return {}
        target: Any = document
        for part in reference[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return dereference(target, document, (*seen, reference))
    dropped = ("x-octokit", "discriminator")
    return {key: dereference(value, document, seen) for key, value in node.items() if key not in dropped}


def setup_operations(path: Path) -> dict[str, Any]:
    """:data:`SETUP_OPERATIONS` from Octokit's description at ``path``, dereferenced, as ``paths`` entries."""
    document = json.loads(path.read_text())
    found: dict[str, Any] = {}
    for method, route in SETUP_OPERATIONS:
        found.setdefault(route, {})[method] = dereference(document["paths"][route][method], document)
    return found


def main(argv: list[str]) -> int:
    args = list(argv[1:])
    setup_source: Path | None = None
    if "--setup-source" in args:
        at = args.index("--setup-source")
        setup_source = Path(args[at + 1])
        del args[at : at + 2]
    source = Path(args[0]) if args else DEFAULT_SOURCE
    operations = json.loads((source / "operations.json").read_text())
    permissions = json.loads((source / "app-permissions.json").read_text())
    TARGET.mkdir(parents=True, exist_ok=True)

    paths = strip_prose(operations["x-paths-dereferenced"], names=True)
    previous = json.loads((TARGET / "operations.json").read_text()) if (TARGET / "operations.json").is_file() else {}
    if setup_source is not None:
        added = strip_prose(setup_operations(setup_source), names=True)
    else:  # keep what an earlier run took from the Octokit file
        kept = set(previous.get("x-setup-paths", []))
        routes = dict.fromkeys(route for _, route in SETUP_OPERATIONS if route in kept)
        added = {route: previous["paths"][route] for route in routes}
    for route, methods in added.items():
        for method, operation in methods.items():
            paths.setdefault(route, {}).setdefault(method, operation)
    ops_out = {
        "openapi": operations["openapi"],
        "x-provenance": operations["x-provenance"],
        "x-provenance-setup": SETUP_PROVENANCE,
        "x-setup-paths": sorted({route for _, route in SETUP_OPERATIONS} - set(operations["x-paths-dereferenced"])),
        "x-vendored": "structure only (no prose) of x-paths-dereferenced, by scripts/vendor_github_api.py",
        "paths": paths,
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
