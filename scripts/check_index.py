#!/usr/bin/env python3
"""Check that an image reference resolves to a multi-platform index holding the given platforms.

Usage: ``python scripts/check_index.py MANIFEST.json PLATFORM...`` where MANIFEST.json is what
``docker buildx imagetools inspect --raw IMAGE@sha256:...`` prints, and each PLATFORM is
``os/architecture`` (e.g. ``linux/arm64``). Exits 0 when the document is an OCI image index or a
Docker manifest list with an image manifest for every platform; otherwise prints why and exits 1.
The runner pulls with no ``--platform``, so an ARM64 runner needs the ``linux/arm64`` entry.
Attestation manifests (platform ``unknown/unknown``) are not images and are not counted.
"""

from __future__ import annotations

import json
import sys
from typing import Any

INDEX_TYPES = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)


def platforms(document: dict[str, Any]) -> set[str]:
    """The ``os/architecture`` of each image manifest an index lists; raises ValueError for a single manifest."""
    if document.get("mediaType") not in INDEX_TYPES or not isinstance(document.get("manifests"), list):
        raise ValueError(f"not a multi-platform index (mediaType {document.get('mediaType')!r})")
    found = set()
    for entry in document["manifests"]:
        platform = entry.get("platform") or {}
        found.add(f"{platform.get('os')}/{platform.get('architecture')}")
    found.discard("unknown/unknown")
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        document = json.load(handle)
    try:
        found = platforms(document)
    except ValueError as error:
        print(f"{argv[1]}: {error}", file=sys.stderr)
        return 1
    missing = sorted(set(argv[2:]) - found)
    if missing:
        print(f"{argv[1]}: no image for {', '.join(missing)} (has {', '.join(sorted(found))})", file=sys.stderr)
        return 1
    print(f"{argv[1]}: a multi-platform index with {', '.join(sorted(found))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
