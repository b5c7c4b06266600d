"""scripts/pin_image.py: the released action.yml refers to the image by digest."""

from __future__ import annotations

import pytest
import yaml

from scripts.pin_image import pin
from tests.runner_harness import ROOT

DIGEST = "sha256:" + "0123456789abcdef" * 4


def test_pin_replaces_the_dockerfile_with_the_digest() -> None:
    text = (ROOT / "action.yml").read_text()
    pinned = yaml.safe_load(pin(text, f"ghcr.io/owner/github-app-token@{DIGEST}"))
    assert pinned["runs"]["image"] == f"docker://ghcr.io/owner/github-app-token@{DIGEST}"
    original = yaml.safe_load(text)
    assert {k: v for k, v in pinned["runs"].items() if k != "image"} == {
        k: v for k, v in original["runs"].items() if k != "image"
    }
    assert pinned["inputs"] == original["inputs"]


@pytest.mark.parametrize(
    "reference", ["ghcr.io/owner/name:v1", "ghcr.io/owner/name@sha256:abc", "name@md5:" + "0" * 64]
)
def test_pin_refuses_references_without_a_digest(reference: str) -> None:
    with pytest.raises(ValueError, match="pinned by digest"):
        pin((ROOT / "action.yml").read_text(), reference)
