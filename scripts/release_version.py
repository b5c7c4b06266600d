#!/usr/bin/env python3
"""The package's version is the release's: the release workflow writes it into the source, then checks
that what it built says it.

Usage:
  python scripts/release_version.py set VERSION              write __version__ = "VERSION"
  python scripts/release_version.py check VERSION            the source says VERSION
  python scripts/release_version.py check-dist VERSION DIR   DIR holds exactly one sdist and one wheel,
                                                             both of VERSION (names, metadata, __init__.py)
  python scripts/release_version.py check-changelog VERSION  CHANGELOG.md has a section for VERSION

VERSION is MAJOR.MINOR.PATCH, as the release workflow's input (the tag is vVERSION). Everything that
reports the version reads ``src/github_app_token/__init__.py``: ``pyproject.toml`` (setuptools' ``attr:``)
for the sdist, the wheel and ``pip install -e .``, and the action's image, which copies ``src/`` without any
packaging metadata. On main that file says UNRELEASED: a source checkout is no release, and PyPI refuses
a local version label such as ``+unreleased``, so an unstamped build cannot be uploaded by mistake.
Exits 1 when a check fails, 2 on bad usage.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INIT = Path("src/github_app_token/__init__.py")
UNRELEASED = "0.0.0+unreleased"
RELEASE = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
VERSION_LINE = re.compile(r'^__version__ = "([^"\n]*)"$', re.MULTILINE)
# The distribution's file names: setuptools normalises "github-app-token" to "github_app_token".
STEM = "github_app_token"


class VersionError(Exception):
    """A version that is not a release, or an artifact that says another version."""


def require_release(version: str) -> str:
    """``version`` if it is MAJOR.MINOR.PATCH without leading zeros (PEP 440 would rewrite ``01`` to ``1``)."""
    if not RELEASE.fullmatch(version):
        raise VersionError(f"a release version is MAJOR.MINOR.PATCH, e.g. 1.2.3, not {version!r}")
    return version


def version_in(text: str, where: str) -> str:
    """The value of the one ``__version__ = "..."`` line in ``text``."""
    found = VERSION_LINE.findall(text)
    if len(found) != 1:
        raise VersionError(f'{where} must have exactly one line __version__ = "...", it has {len(found)}')
    return str(found[0])


def stamp(text: str, version: str) -> str:
    """``__init__.py``'s text with its version line saying ``version``; nothing else changes."""
    version_in(text, str(INIT))
    return VERSION_LINE.sub(f'__version__ = "{require_release(version)}"', text)


def set_version(root: Path, version: str) -> None:
    path = root / INIT
    path.write_text(stamp(path.read_text(), version))


def check_source(root: Path, version: str) -> None:
    said = version_in((root / INIT).read_text(), str(INIT))
    if said != version:
        raise VersionError(f"{INIT} says {said}, not {version}")


def metadata_version(text: str, where: str) -> str:
    found = re.findall(r"^Version: (.*)$", text, re.MULTILINE)
    if len(found) != 1:
        raise VersionError(f"{where} has no single Version: field")
    return str(found[0]).strip()


def check_dist(directory: Path, version: str) -> list[Path]:
    """The one sdist and the one wheel in ``directory``, after checking both are of ``version``."""
    require_release(version)
    files = sorted(path for path in directory.iterdir() if path.is_file())
    wheel, sdist = f"{STEM}-{version}-py3-none-any.whl", f"{STEM}-{version}.tar.gz"
    if [path.name for path in files] != sorted([wheel, sdist]):
        raise VersionError(f"{directory} must hold exactly {sdist} and {wheel}, it holds {[p.name for p in files]}")
    with zipfile.ZipFile(directory / wheel) as archive:
        said = {
            "METADATA": metadata_version(archive.read(f"{STEM}-{version}.dist-info/METADATA").decode(), wheel),
            str(INIT.relative_to("src")): version_in(archive.read(INIT.relative_to("src").as_posix()).decode(), wheel),
        }
    with tarfile.open(directory / sdist) as archive:
        for member in (f"{STEM}-{version}/PKG-INFO", f"{STEM}-{version}/{INIT.as_posix()}"):
            extracted = archive.extractfile(member)
            if extracted is None:
                raise VersionError(f"{sdist} has no file {member}")
            text = extracted.read().decode()
            said[f"{sdist}: {member}"] = (
                metadata_version(text, sdist) if member.endswith("PKG-INFO") else version_in(text, sdist)
            )
    wrong = {where: value for where, value in said.items() if value != version}
    if wrong:
        raise VersionError(f"built as {version}, but these say otherwise: {wrong}")
    return [directory / sdist, directory / wheel]


def check_changelog(text: str, version: str) -> None:
    """A heading ``## VERSION`` (or ``## [VERSION]``), e.g. ``## 1.2.3 - 2026-10-05``: the release is described."""
    require_release(version)
    if not re.search(rf"^## \[?{re.escape(version)}\]?(?:[ \t].*)?$", text, re.MULTILINE):
        raise VersionError(f"CHANGELOG.md has no section '## {version}': name the Unreleased section after it")


def main(argv: list[str]) -> int:
    commands = {"set": 3, "check": 3, "check-dist": 4, "check-changelog": 3}
    if len(argv) < 2 or commands.get(argv[1]) != len(argv):
        print(__doc__, file=sys.stderr)
        return 2
    command, version = argv[1], argv[2]
    try:
        if command == "set":
            set_version(ROOT, version)
            print(f"{INIT} now says {version}")
        elif command == "check":
            check_source(ROOT, require_release(version))
            print(f"{INIT} says {version}")
        elif command == "check-dist":
            for path in check_dist(Path(argv[3]), version):
                print(f"{path.name}: {version}")
        else:
            check_changelog((ROOT / "CHANGELOG.md").read_text(), version)
            print(f"CHANGELOG.md has a section for {version}")
    except (VersionError, OSError, KeyError, zipfile.BadZipFile, tarfile.TarError) as error:
        print(f"::error::{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
