"""scripts/release_version.py: the version a release writes into the source is the one its sdist, its
wheel, its command and its image report; main says it is no release."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from scripts.release_version import (
    INIT,
    UNRELEASED,
    VersionError,
    check_changelog,
    check_dist,
    check_source,
    main,
    set_version,
    stamp,
    version_in,
)
from tests.runner_harness import ROOT

INIT_TEXT = (ROOT / INIT).read_text()


def test_main_says_it_is_no_release_and_pypi_would_refuse_it() -> None:
    import github_app_token

    assert github_app_token.__version__ == UNRELEASED == version_in(INIT_TEXT, "init")
    # A valid version (setuptools builds it), but with a local label: PyPI rejects such an upload.
    assert Version(UNRELEASED).local == "unreleased" and Version(UNRELEASED) < Version("0.0.1")


def test_stamp_changes_the_version_line_and_nothing_else() -> None:
    stamped = stamp(INIT_TEXT, "1.2.3")
    assert version_in(stamped, "stamped") == "1.2.3"
    changed = [(a, b) for a, b in zip(INIT_TEXT.splitlines(), stamped.splitlines(), strict=True) if a != b]
    assert changed == [(f'__version__ = "{UNRELEASED}"', '__version__ = "1.2.3"')]


@pytest.mark.parametrize("version", ["1.2", "v1.2.3", "01.2.3", "1.2.03", "1.2.3rc1", "1.2.3+x", "1.2.3 ", ""])
def test_stamp_refuses_what_is_not_a_release_version(version: str) -> None:
    with pytest.raises(VersionError, match=re.escape("MAJOR.MINOR.PATCH")):
        stamp(INIT_TEXT, version)


@pytest.mark.parametrize("text", ['"""No version."""\n', '__version__ = "1"\n__version__ = "2"\n'])
def test_stamp_refuses_a_file_without_exactly_one_version_line(text: str) -> None:
    with pytest.raises(VersionError, match="exactly one line"):
        stamp(text, "1.2.3")


@pytest.mark.parametrize(
    ("heading", "found"),
    [
        ("## 1.2.3 - 2026-10-05", True),
        ("## [1.2.3] - 2026-10-05", True),
        ("## 1.2.3", True),
        ("## 1.2.30", False),
        ("### 1.2.3", False),
        ("## Unreleased", False),
    ],
)
def test_check_changelog_wants_a_section_named_after_the_version(heading: str, found: bool) -> None:
    text = f"# Changelog\n\n{heading}\n\n### Added\n- 1.2.3 is mentioned here, which is not enough.\n"
    if found:
        check_changelog(text, "1.2.3")
    else:
        with pytest.raises(VersionError, match="no section"):
            check_changelog(text, "1.2.3")


def test_usage_errors_exit_2() -> None:
    assert main(["release_version.py"]) == 2
    assert main(["release_version.py", "set"]) == 2
    assert main(["release_version.py", "check-dist", "1.2.3"]) == 2
    assert main(["release_version.py", "frobnicate", "1.2.3"]) == 2


def package_tree(tmp_path: Path) -> Path:
    """What building the package reads, copied: pyproject.toml, the README and the licence, src/."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return tree


IMAGE_STEP = next(
    s
    for s in yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())["jobs"]["image"]["steps"]
    if "docker run" in str(s.get("run", ""))
)


def test_a_stamped_tree_builds_a_sdist_and_a_wheel_of_that_version_and_the_image_command_reads_it(
    tmp_path: Path,
) -> None:
    tree = package_tree(tmp_path)
    set_version(tree, "1.2.3")
    check_source(tree, "1.2.3")
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(tree)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert sorted(path.name for path in check_dist(dist, "1.2.3")) == [
        "github_app_token-1.2.3-py3-none-any.whl",
        "github_app_token-1.2.3.tar.gz",
    ]
    with pytest.raises(VersionError, match="must hold exactly"):
        check_dist(dist, "1.2.4")
    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts/release_version.py"), "check-dist", "1.2.3", str(dist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    # The image copies src/ without metadata; the release checks it with this one-liner, run here on
    # the stamped src/ in place of the image's /action/src.
    (snippet,) = re.findall(r"'(import sys; .*?)'", IMAGE_STEP["run"])
    said = subprocess.run(
        [sys.executable, "-I", "-c", snippet.replace("/action/src", str(tree / "src"))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert said.stdout == "1.2.3\n"


def fake_dist(
    directory: Path, version: str = "1.2.3", *, metadata: str = "1.2.3", init: str = "1.2.3", sdist_init: str = "1.2.3"
) -> Path:
    directory.mkdir()
    stem = f"github_app_token-{version}"
    fields = f"Metadata-Version: 2.4\nName: github-app-token\nVersion: {metadata}\n"
    with zipfile.ZipFile(directory / f"{stem}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(f"{stem}.dist-info/METADATA", fields)
        wheel.writestr("github_app_token/__init__.py", f'__version__ = "{init}"\n')
    with tarfile.open(directory / f"{stem}.tar.gz", "w:gz") as sdist:
        for name, text in (
            (f"{stem}/PKG-INFO", fields),
            (f"{stem}/src/github_app_token/__init__.py", f'__version__ = "{sdist_init}"\n'),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            sdist.addfile(info, io.BytesIO(data))
    return directory


def test_check_dist_accepts_a_consistent_pair(tmp_path: Path) -> None:
    assert len(check_dist(fake_dist(tmp_path / "dist"), "1.2.3")) == 2


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"metadata": "1.2.4"}, "METADATA"),
        ({"init": "0.0.0+unreleased"}, "github_app_token/__init__.py"),
        ({"sdist_init": "1.2.4"}, "src/github_app_token/__init__.py"),
    ],
)
def test_check_dist_refuses_a_file_that_says_another_version(tmp_path: Path, options: dict[str, str], why: str) -> None:
    with pytest.raises(VersionError, match=re.escape(why)):
        check_dist(fake_dist(tmp_path / "dist", **options), "1.2.3")


def test_check_dist_refuses_other_or_extra_files(tmp_path: Path) -> None:
    dist = fake_dist(tmp_path / "dist")
    (dist / "github_app_token-1.2.2-py3-none-any.whl").write_bytes(b"")
    with pytest.raises(VersionError, match="must hold exactly"):
        check_dist(dist, "1.2.3")
    assert main(["release_version.py", "check-dist", "1.2.3", str(dist)]) == 1
