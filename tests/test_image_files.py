"""image/rootfs.py's choice of files, run here (no Docker): what the action's image leaves out."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.runner_harness import ROOT


def test_the_setup_command_and_pynacl_stay_out_of_the_image(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("rootfs", ROOT / "image" / "rootfs.py")
    assert spec is not None and spec.loader is not None
    rootfs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rootfs)
    monkeypatch.setattr(rootfs, "ACTION", ROOT)
    monkeypatch.setattr(rootfs, "ENTRYPOINT", ROOT / "entrypoint.py")
    files = {Path(path) for path in rootfs.module_files()}
    package = ROOT / "src" / "github_app_token"
    assert package / "cli" / "create.py" in files and package / "core.py" in files  # the CLI is in the image
    assert not [path for path in files if (package / "setup") in path.parents]
    assert not [path for path in files if "nacl" in path.parts]
