"""scripts/pin_image.py: the released action.yml refers to the image by digest."""

from __future__ import annotations

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
