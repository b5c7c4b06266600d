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


def runs(job: str) -> list[str]:
    return [str(s.get("run", "")) for s in RELEASE["jobs"][job]["steps"]]


def index_of(job: str, predicate: str) -> int:
    """The position of the first step of ``job`` whose ``uses`` or ``run`` contains ``predicate``."""
    for position, s in enumerate(RELEASE["jobs"][job]["steps"]):
        if predicate in str(s.get("uses", "")) + str(s.get("run", "")):
            return position
    raise AssertionError(f"{job} has no step with {predicate!r}")


def test_the_jobs_run_in_order_checks_first_publishing_last() -> None:
    needs = {name: job.get("needs", []) for name, job in RELEASE["jobs"].items()}
    assert needs == {"pypi-build": [], "image": "pypi-build", "release": "image", "pypi": ["pypi-build", "release"]}
    # Nothing is asked of a reviewer for a run from another branch or of a version without a changelog.
    assert RELEASE["jobs"]["pypi-build"]["steps"][0]["run"].strip().startswith('[ "$GITHUB_REF" = refs/heads/main ]')
    assert index_of("pypi-build", "check-changelog") < index_of("pypi-build", "actions/upload-artifact")


def environment(job: dict[str, Any]) -> str | None:
    value = job.get("environment")
    return str(value["name"]) if isinstance(value, dict) else value


def test_every_job_that_can_write_or_sign_runs_in_a_protected_environment() -> None:
    environments = {name: environment(job) for name, job in RELEASE["jobs"].items()}
    assert environments == {"pypi-build": None, "image": "release", "release": "release", "pypi": "pypi"}
    for name, job in RELEASE["jobs"].items():
        powerful = [scope for scope, level in job["permissions"].items() if level == "write"]
        assert bool(powerful) == (environments[name] is not None), (name, powerful)


def test_the_version_is_written_before_anything_is_built_and_checked_in_what_was_built() -> None:
    assert index_of("pypi-build", "release_version.py set") < index_of("pypi-build", "-m build")
    build = runs("pypi-build")[index_of("pypi-build", "-m build")]
    assert build.index("-m build") < build.index("release_version.py check-dist")
    assert index_of("pypi-build", "check-dist") < index_of("pypi-build", "actions/upload-artifact")
    installed = runs("pypi-build")[index_of("pypi-build", "--version")]
    assert '[ "$said" = "github-app-token $VERSION" ]' in installed
    assert index_of("image", "release_version.py set") < index_of("image", "docker/build-push-action")
    checked = runs("image")[index_of("image", "docker run")]
    assert "for platform in linux/amd64 linux/arm64" in checked and '[ "$said" = "$VERSION" ]' in checked
    # Checked before either attestation vouches for the image.
    assert index_of("image", "docker run") < index_of("image", "actions/attest")
    tagging = runs("release")[index_of("release", "git tag")]
    assert tagging.index("release_version.py set") < tagging.index("git commit")
    assert tagging.index("scripts/pin_image.py") < tagging.index("git commit")


def test_pypi_is_published_by_trusted_publishing_from_the_checked_package() -> None:
    job = RELEASE["jobs"]["pypi"]
    assert job["permissions"] == {"id-token": "write"}
    assert "secrets." not in yaml.safe_dump(job)  # no token: PyPI trusts the OIDC token instead
    download, publish = job["steps"]
    upload = step(RELEASE, "pypi-build", "actions/upload-artifact")
    assert download["uses"].startswith("actions/download-artifact@")
    assert download["with"]["name"] == upload["with"]["name"] and download["with"]["path"] == upload["with"]["path"]
    assert publish["uses"] == "pypa/gh-action-pypi-publish@dc37677b2e1c63e2034f94d8a5b11f265b73ba33"
    assert publish["with"] == {"packages-dir": download["with"]["path"]}
    assert "pypi.org/project/github-app-token/" in job["environment"]["url"]


# The flags of `gh attestation verify` (cli/cli pkg/cmd/attestation/verify/verify.go; --source-ref,
# --source-digest and --signer-digest since cli/cli pull request 10308).
GH_VERIFY_FLAGS = {
    "--bundle", "--bundle-from-oci", "--digest-alg", "--owner", "--repo", "--predicate-type", "--no-public-good",
    "--custom-trusted-root", "--limit", "--format", "--jq", "--template", "--hostname", "--deny-self-hosted-runners",
    "--cert-identity", "--cert-identity-regex", "--signer-repo", "--signer-workflow", "--cert-oidc-issuer",
    "--signer-digest", "--source-ref", "--source-digest",
}  # fmt: skip


def verify_commands(text: str) -> list[str]:
    """Each `gh attestation verify` of an image in ``text``, its continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return re.findall(r"gh attestation verify \"?oci://[^\n`]*", joined)


@pytest.mark.parametrize("where", ["docs/releasing.md", ".github/workflows/release.yml"])
def test_each_attestation_check_pins_the_signer_workflow_the_source_ref_and_github_hosted_runners(where: str) -> None:
    commands = verify_commands((ROOT / where).read_text())
    assert commands, where
    for command in commands:
        flags = set(re.findall(r"(?<!\S)--[a-z-]+", command))
        assert flags <= GH_VERIFY_FLAGS, flags - GH_VERIFY_FLAGS
        assert {"--repo", "--signer-workflow", "--source-ref", "--deny-self-hosted-runners"} <= flags, command
        signer = re.search(r"--signer-workflow (\S+)", command)
        source = re.search(r"--source-ref (\S+)", command)
        assert signer and source, command
        assert signer.group(1) in ("OWNER/github-app-token/.github/workflows/release.yml", "${GITHUB_WORKFLOW_REF%@*}")
        assert source.group(1) in ("refs/heads/main", "$GITHUB_REF")


def test_docs_list_the_pinned_images_as_the_workflow_has_them() -> None:
    """A refresh that changes a digest in the workflow changes the table in docs/releasing.md too."""
    docs = (ROOT / "docs" / "releasing.md").read_text()
    for image in images(RELEASE):
        name, digest = image.reference.split("@")
        row = next((line for line in docs.splitlines() if line.startswith(f"| `{name}` |")), "")
        assert f"`{digest}`" in row and f"`{tag_of(TEXT, image.reference)}`" in row, (name, row)
