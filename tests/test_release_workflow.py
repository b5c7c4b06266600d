"""The release workflow: the images it runs are pinned by digest, its jobs are protected, its
attestations are verified as docs/releasing.md says."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import workflow_images
from scripts.workflow_images import Image, images, tag_of
from tests.runner_harness import ROOT

WORKFLOW_PATH = ROOT / ".github" / "workflows" / "release.yml"
TEXT = WORKFLOW_PATH.read_text()
RELEASE: dict[str, Any] = yaml.safe_load(TEXT)
DIGEST = "sha256:" + "ab" * 32


def step(workflow: dict[str, Any], job: str, action: str) -> dict[str, Any]:
    (found,) = [s for s in workflow["jobs"][job]["steps"] if str(s.get("uses", "")).startswith(action + "@")]
    return dict(found)


def test_the_release_pins_each_image_it_runs_by_digest() -> None:
    found = images(RELEASE)
    names = sorted(image.reference.split("@")[0] for image in found)
    # The three an unpinned setup would pull by moving tags: none is missing from the listing.
    assert names == ["docker.io/tonistiigi/binfmt", "docker/buildkit-syft-scanner", "moby/buildkit"], names
    assert [image for image in found if not image.pinned or image.default] == []


@pytest.mark.parametrize("path", sorted((ROOT / ".github" / "workflows").glob("*.yml")), ids=lambda p: p.name)
def test_no_workflow_pulls_an_image_by_tag_only(path: Path) -> None:
    assert workflow_images.main(["workflow_images.py", "--check", str(path)]) == 0


def mutated(job: str, action: str, given: dict[str, Any] | None) -> dict[str, Any]:
    """The release workflow with one step's ``with:`` replaced (None: removed)."""
    workflow = copy.deepcopy(RELEASE)
    for s in workflow["jobs"][job]["steps"]:
        if str(s.get("uses", "")).startswith(action + "@"):
            if given is None:
                s.pop("with", None)
            else:
                s["with"] = given
    return workflow


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        # The inputs left out: each action's moving default.
        (mutated("image", "docker/setup-qemu-action", None), "docker.io/tonistiigi/binfmt:latest"),
        (mutated("image", "docker/setup-buildx-action", None), "moby/buildkit:buildx-stable-1"),
        (mutated("image", "docker/build-push-action", {"sbom": True}), "docker/buildkit-syft-scanner:stable-1"),
        # Named by tag.
        (mutated("image", "docker/setup-qemu-action", {"image": "tonistiigi/binfmt:qemu-v10.2.3"}), "qemu-v10.2.3"),
        (
            mutated("image", "docker/setup-buildx-action", {"driver-opts": "network=host\nimage=moby/buildkit:v1"}),
            "moby/buildkit:v1",
        ),
        (
            mutated("image", "docker/build-push-action", {"attests": "type=sbom,generator=docker/syft-scanner"}),
            "docker/syft-scanner",
        ),
        # A digest that is not one (too short).
        (mutated("image", "docker/setup-qemu-action", {"image": "tonistiigi/binfmt@sha256:400a4873"}), "sha256:400a"),
    ],
)
def test_an_image_named_by_tag_or_left_to_its_default_is_caught(workflow: dict[str, Any], expected: str) -> None:
    moving = [image for image in images(workflow) if not image.pinned]
    assert len(moving) == 1 and expected in moving[0].reference, moving


def test_images_pulled_by_steps_and_jobs_are_found_too() -> None:
    workflow = {
        "jobs": {
            "a": {
                "container": "debian:trixie",
                "services": {"db": {"image": f"postgres@{DIGEST}"}},
                "steps": [{"uses": "docker://alpine:3.22"}, {"uses": "docker/setup-buildx-action@x", "with": {}}],
            },
            "b": {"container": {"image": f"debian@{DIGEST}"}, "steps": [{"run": "true"}]},
        }
    }
    found = {image.reference: image.pinned for image in images(workflow)}
    assert found == {
        "debian:trixie": False,
        f"postgres@{DIGEST}": True,
        "alpine:3.22": False,
        "moby/buildkit:buildx-stable-1": False,
        f"debian@{DIGEST}": True,
    }
    # The docker driver runs the engine's own BuildKit, and an SBOM turned off runs no scanner.
    quiet = {"jobs": {"c": {"steps": [{"uses": "docker/setup-buildx-action@x", "with": {"driver": "docker"}}]}}}
    off = {"jobs": {"c": {"steps": [{"uses": "docker/build-push-action@x", "with": {"sbom": False}}]}}}
    assert images(quiet) == [] and images(off) == []


def test_each_pinned_image_says_its_tag_so_it_can_be_refreshed(capsys: pytest.CaptureFixture[str]) -> None:
    for image in images(RELEASE):
        tag = tag_of(TEXT, image.reference)
        assert tag and re.fullmatch(r"[\w.-]+", tag), image
    assert workflow_images.main(["workflow_images.py", str(WORKFLOW_PATH)]) == 0
    listed = capsys.readouterr().out
    assert "docker buildx imagetools inspect docker.io/tonistiigi/binfmt:qemu-v10.2.3" in listed
    assert "docker buildx imagetools inspect moby/buildkit:v0.34.0" in listed
    assert "docker buildx imagetools inspect docker/buildkit-syft-scanner:1.12.0" in listed


def test_tag_of_reads_the_comment_on_the_line_of_the_reference() -> None:
    text = f"image: binfmt@{DIGEST} # qemu-v10.2.3, from somewhere\nother: x@{DIGEST[:-2]}00\n"
    assert tag_of(text, f"binfmt@{DIGEST}") == "qemu-v10.2.3"
    assert tag_of(text, f"x@{DIGEST[:-2]}00") is None
    assert Image("w", f"binfmt:qemu-v10.2.3@{DIGEST}").pinned  # a tag beside the digest is allowed


def test_the_privileged_emulator_image_is_not_cached() -> None:
    qemu = step(RELEASE, "image", "docker/setup-qemu-action")
    assert qemu["with"]["cache-image"] is False
    assert qemu["with"]["platforms"] == "arm64"
