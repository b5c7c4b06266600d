"""In-process: the token is masked before it is written to outputs or state."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from github_app_token import main, runner
from tests.github_emulator import App, GitHubEmulator


def test_mask_precedes_every_file_write(
    tmp_path: Path, emulator: GitHubEmulator, app: App, app_key_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    seen: list[tuple[str, bool]] = []
    real_outputs, real_state = runner.set_outputs, runner.save_state

    def spy(name: str, real):  # type: ignore[no-untyped-def]
        def wrapper(env: Mapping[str, str], values: Mapping[str, str]) -> None:
            token = values["token"]
            seen.append((name, f"::add-mask::{token}\n" in stream.getvalue()))
            real(env, values)

        return wrapper

    monkeypatch.setattr(runner, "set_outputs", spy("outputs", real_outputs))
    monkeypatch.setattr(runner, "save_state", spy("state", real_state))
    for name in ("out", "state"):
        (tmp_path / name).write_text("")
    env = {
        "INPUT_CLIENT-ID": app.client_id,
        "INPUT_PRIVATE-KEY": app_key_pem,
        "INPUT_GITHUB-API-URL": emulator.url,
        "GITHUB_REPOSITORY": "octo-org/app",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STATE": str(tmp_path / "state"),
    }
    assert main.run(env, runner.Log(stream)) == 0, stream.getvalue()
    assert seen == [("outputs", True), ("state", True)]
    lines = [line for line in stream.getvalue().splitlines() if not line.startswith("::debug::")]
    assert lines[0].startswith("::add-mask::")  # the app JWT, masked before it is sent; then the token
