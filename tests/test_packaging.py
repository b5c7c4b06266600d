"""Users get the CLI the way Python users get tools: an sdist and a wheel that pass ``twine check``,
and a wheel that installs into a clean virtual environment with a working ``github-app-token setup``.

Builds with pypa ``build`` (its isolated build environment installs setuptools from the package index),
then installs the wheel and its dependencies (PyNaCl among them) from the index into a new venv.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.runner_harness import ROOT

BIN = Path(sys.executable).parent


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


def test_sdist_and_wheel_build_check_and_install(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT)
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    run(BIN / "twine", "check", "--strict", sdist, wheel)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "github_app_token/setup/command.py" in names and "github_app_token/cli/__init__.py" in names
    assert not any(name.startswith(("tests/", "scripts/", "image/")) for name in names)
    assert "Requires-Dist: PyNaCl>=1.5" in metadata
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    helped = run(venv / "bin" / "github-app-token", "setup", "--help", cwd=tmp_path)
    assert "--store-org" in helped.stdout and "--existing" in helped.stdout
    sealed = run(venv / "bin" / "python", "-I", "-c", "import nacl.public, github_app_token.setup.store", cwd=tmp_path)
    assert sealed.stderr == ""
