"""scripts/pin_image.py: the released action.yml refers to the image by digest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


# The platforms of the released image. The base image is Debian trixie (glibc 2.41): pip there
# accepts manylinux wheels up to manylinux_2_41, and manylinux2014 (= manylinux_2_17).
GLIBC = (2, 41)


def manylinux_platforms(arch: str) -> list[str]:
    return [f"manylinux_2_{minor}_{arch}" for minor in range(17, GLIBC[1] + 1)] + [f"manylinux2014_{arch}"]


@pytest.mark.container
@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_requirements_resolve_to_binary_wheels_for_each_platform(arch: str, tmp_path: Path) -> None:
    """No build can fail for want of a wheel: every hash-pinned requirement has one for amd64 and arm64."""
    if os.environ.get("CI") != "true" and os.environ.get("CONTAINER_TESTS") != "1":
        pytest.skip("downloads wheels from PyPI: runs with the container tier (CI=true or CONTAINER_TESTS=1)")
    platforms = [option for platform in manylinux_platforms(arch) for option in ("--platform", platform)]
    download = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            *platforms,
            "--python-version",
            "3.13",
            "--implementation",
            "cp",
            "--require-hashes",
            "-r",
            str(ROOT / "requirements.txt"),
            "--dest",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert download.returncode == 0, download.stderr[-2000:]
    wheels = sorted(path.name for path in tmp_path.iterdir())
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    pinned = [line.split("==")[0] for line in requirements if "==" in line]
    assert len(wheels) == len(pinned) and all(name.endswith(".whl") for name in wheels), wheels
    native = [name for name in wheels if not name.endswith("-none-any.whl")]
    assert native and all(arch in name for name in native), native  # e.g. cryptography, cffi, charset-normalizer


def index(*platforms: str, media_type: str = "application/vnd.oci.image.index.v1+json") -> dict[str, object]:
    entries = [{"platform": dict(zip(("os", "architecture"), p.split("/"), strict=True))} for p in platforms]
    return {"mediaType": media_type, "manifests": entries}


def check(tmp_path: Path, document: dict[str, object]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(document))
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_index.py"), str(path), "linux/amd64", "linux/arm64"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_index_accepts_an_index_with_both_platforms(tmp_path: Path) -> None:
    assert check(tmp_path, index("linux/amd64", "linux/arm64", "unknown/unknown")).returncode == 0
    docker_list = index(
        "linux/arm64", "linux/amd64", media_type="application/vnd.docker.distribution.manifest.list.v2+json"
    )
    assert check(tmp_path, docker_list).returncode == 0


@pytest.mark.parametrize(
    ("document", "why"),
    [
        (index("linux/amd64", "unknown/unknown"), "no image for linux/arm64"),
        ({"mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": []}, "not a multi-platform index"),
    ],
)
def test_check_index_refuses_what_an_arm64_runner_cannot_pull(
    tmp_path: Path, document: dict[str, object], why: str
) -> None:
    refused = check(tmp_path, document)
    assert refused.returncode == 1 and why in refused.stderr


RELEASE = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())


def steps_using(job: str, action: str) -> list[dict[str, object]]:
    return [step for step in RELEASE["jobs"][job]["steps"] if str(step.get("uses", "")).startswith(action + "@")]


def test_release_builds_both_platforms_with_provenance_and_sbom() -> None:
    (build,) = steps_using("image", "docker/build-push-action")
    options = build["with"]
    assert isinstance(options, dict)
    assert options["platforms"] == "linux/amd64,linux/arm64"
    assert options["provenance"] == "mode=max" and options["push"] is True
    assert str(options["sbom"]).startswith("generator=docker/buildkit-syft-scanner@sha256:")
    assert steps_using("image", "docker/setup-qemu-action")  # the arm64 stage runs under emulation
    attestations = steps_using("image", "actions/attest")
    assert len(attestations) == 2  # the build provenance, and the SBOM
    for step in attestations:
        given = step["with"]
        assert isinstance(given, dict) and given["push-to-registry"] is True
        assert given["subject-digest"] == "${{ steps.build.outputs.digest }}"
    runs = " ".join(str(step.get("run", "")) for step in RELEASE["jobs"]["image"]["steps"])
    assert runs.count("scripts/check_index.py") == 2  # the base image, then the pushed image


def test_release_jobs_have_least_permissions() -> None:
    assert RELEASE["permissions"] == {"contents": "read"}
    assert RELEASE["jobs"]["image"]["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
        "artifact-metadata": "write",
    }
    assert RELEASE["jobs"]["release"]["permissions"] == {"contents": "write"}
    assert RELEASE["jobs"]["pypi-build"]["permissions"] == {"contents": "read"}
    assert RELEASE["jobs"]["pypi"]["permissions"] == {"id-token": "write"}
    for job in RELEASE["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
