#!/usr/bin/env python3
"""Run the action's main and post steps locally, as the runner would, against the emulator.

Usage: ``scripts/demo [name=value ...]`` where each argument is an action input, e.g.
``scripts/demo owner=octocat`` or ``scripts/demo repositories=app,infra permission-contents=read``;
several owners: ``scripts/demo owner=octo-org,octocat``; repository IDs: ``scripts/demo
repository-ids=ID`` (the IDs are printed first); an app JWT signed elsewhere:
``scripts/demo app-jwt=signed-elsewhere`` (the demo plays the key service: it signs one with the
app's key and gives the action only that JWT, no key and no ID).

Starts the bundled GitHub API emulator (app ``token-minter``, organization ``octo-org``
with repositories ``app``/``infra``, user ``octocat``), runs the entrypoint as a
Docker action's main step in a fresh workspace, then the post step with the saved
state, and prints the log a user would see (the token masked), the outputs and the step summary.
``lifetime=job`` falls back to one hour here, with the action's warning: the broker is a sibling
container, which only the container tier (``CONTAINER_TESTS=1 scripts/test -k broker``) and act run.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.github_emulator import pem_pkcs1, running  # noqa: E402
from tests.runner_harness import Job, runner_view  # noqa: E402


def main(argv: list[str]) -> int:
    given: dict[str, str] = {}
    for arg in argv[1:]:
        if arg in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        name, sep, value = arg.partition("=")
        if not sep:
            print(f"Arguments are inputs as name=value; got {arg!r}. See scripts/demo --help.", file=sys.stderr)
            return 2
        given[name] = value
    with running() as (emulator, app), tempfile.TemporaryDirectory() as tmp:
        inputs = {"client-id": app.client_id, "private-key": pem_pkcs1(app.private_key), **given}
        if inputs.get("app-jwt") == "signed-elsewhere":
            now = int(time.time())  # as a KMS would sign it: the action never sees the key
            claims = {"iat": now - 60, "exp": now + 540, "iss": app.client_id}
            inputs = {**given, "app-jwt": jwt.encode(claims, app.private_key, algorithm="RS256")}
        job = Job(Path(tmp), emulator.url, "octo-org/app")
        ids = ", ".join(f"{o}/{n}={repo.id}" for (o, n), repo in emulator.repositories.items())
        print(f"GitHub API emulator at {emulator.url}; repository octo-org/app; repository IDs: {ids}")
        print(
            "inputs: " + ", ".join(f"{k}={'***' if k in ('private-key', 'app-jwt') else v}" for k, v in inputs.items())
        )
        masks: list[str] = []
        main_step = job.run("main", inputs)
        print(f"\n--- Run main step (exit {main_step.exit_code}, {main_step.seconds * 1000:.0f} ms)")
        print("\n".join(runner_view(main_step, masks)))
        print("\n--- Outputs")
        for name, value in main_step.outputs.items():
            shown = value
            for secret in masks:
                shown = shown.replace(secret, "***")
            print(f"{name}: {shown}")
        if main_step.summary:
            print("\n--- Step summary\n" + main_step.summary.rstrip())
        post_step = job.run("post", inputs, state=main_step.state)
        print(f"\n--- Post step (exit {post_step.exit_code}, {post_step.seconds * 1000:.0f} ms)")
        print("\n".join(runner_view(post_step, masks)))
        print("\n--- Requests the emulator received")
        for exchange in emulator.exchanges:
            print(f"{exchange.method} {exchange.path} -> {exchange.status}")
        return 0 if main_step.exit_code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
