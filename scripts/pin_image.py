#!/usr/bin/env python3
"""Point action.yml at a prebuilt image by digest (used by the release workflow).

Usage: ``python scripts/pin_image.py ghcr.io/OWNER/NAME@sha256:<64 hex>``

Replaces ``runs.image: Dockerfile`` (or an earlier ``docker://`` reference) with
``docker://IMAGE@sha256:...``, so a user's job pulls the released image instead of
building the Dockerfile. Exits 2 on a reference that is not pinned by digest.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ACTION = Path(__file__).resolve().parent.parent / "action.yml"
REFERENCE = re.compile(r"[a-z0-9][a-z0-9._/-]*(?::[0-9]+)?(?:/[a-z0-9._-]+)*@sha256:[0-9a-f]{64}")
IMAGE_LINE = re.compile(r"^(  image: ).*$", re.MULTILINE)


def set_image(text: str, image: str) -> str:
    """Return action.yml's text with ``runs.image`` set to ``image`` (``Dockerfile`` or ``docker://...``)."""
    new, count = IMAGE_LINE.subn(lambda m: m.group(1) + image, text)
    if count != 1:
        raise ValueError("action.yml must have exactly one 'image:' line under 'runs:'")
    return new


def pin(text: str, reference: str) -> str:
    """Return action.yml's text with ``runs.image`` set to ``docker://reference``."""
    if not REFERENCE.fullmatch(reference):
        raise ValueError(f"not an image reference pinned by digest: {reference!r}")
    return set_image(text, "docker://" + reference)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        ACTION.write_text(pin(ACTION.read_text(), argv[1]))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"action.yml now uses docker://{argv[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
