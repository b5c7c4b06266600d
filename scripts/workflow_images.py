#!/usr/bin/env python3
"""List the container images the workflows make the runner, Buildx and BuildKit pull, and check each
is pinned by digest.

Usage: ``python scripts/workflow_images.py [--check] [WORKFLOW.yml ...]`` (default: .github/workflows/*.yml)

Actions are pinned by commit SHA, but some run images named in their inputs, or pull a moving tag when
the input is left out: ``docker/setup-qemu-action`` runs ``tonistiigi/binfmt:latest`` privileged,
``docker/setup-buildx-action`` (docker-container driver) starts ``moby/buildkit:buildx-stable-1``, and
BuildKit's SBOM (``sbom:``, ``attests: type=sbom``) runs ``docker/buildkit-syft-scanner:stable-1``
over the build. Steps that ``uses: docker://...``, a job's ``container:`` and its ``services:`` pull
images too. Each must be ``NAME@sha256:<64 hex>``, with the tag it was taken from as the first word of
the comment on its line (``# v0.34.0``), so it can be refreshed; Dependabot does not update these.

Without ``--check``: each image, its tag and the command that prints the tag's current digest.
With ``--check``: exit 1 and name each image referenced by tag only.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}")
# What each action pulls when its input is left out (their action.yml and buildx's defaults).
QEMU_DEFAULT = "docker.io/tonistiigi/binfmt:latest"
BUILDKIT_DEFAULT = "moby/buildkit:buildx-stable-1"
SBOM_DEFAULT = "docker/buildkit-syft-scanner:stable-1"


@dataclass(frozen=True)
class Image:
    where: str  # job and step, and the input or key that names it
    reference: str
    default: bool = False  # the action's default, not written in the workflow

    @property
    def pinned(self) -> bool:
        return bool(PINNED.fullmatch(self.reference))


def action(step: dict[str, Any]) -> str:
    """``owner/name`` of a step's ``uses:`` (``""`` for a run step or a local action)."""
    return str(step.get("uses", "")).split("@")[0]


def options(value: object) -> list[str]:
    """A list input (one per line, or comma-separated) as its entries."""
    return [entry.strip() for line in str(value or "").splitlines() for entry in line.split(",") if entry.strip()]


def sbom_generator(value: object, where: str) -> Image | None:
    """The generator an SBOM attestation runs, or None when the input turns the SBOM off."""
    entries = options(value)
    if not entries or [entry.lower() for entry in entries] == ["false"]:
        return None
    for entry in entries:
        if entry.startswith("generator="):
            return Image(where, entry.removeprefix("generator="))
    return Image(where, SBOM_DEFAULT, default=True)


def step_images(where: str, step: dict[str, Any]) -> list[Image]:
    given = step.get("with") or {}
    uses, name = str(step.get("uses", "")), action(step)
    found: list[Image] = []
    if uses.startswith("docker://"):
        found.append(Image(f"{where}: uses", uses.removeprefix("docker://")))
    if name == "docker/setup-qemu-action":
        found.append(Image(f"{where}: image", str(given.get("image") or QEMU_DEFAULT), "image" not in given))
    if name == "docker/setup-buildx-action" and str(given.get("driver", "docker-container")) != "docker":
        images = [opt.removeprefix("image=") for opt in options(given.get("driver-opts")) if opt.startswith("image=")]
        found += [Image(f"{where}: driver-opts image=", image) for image in images] or [
            Image(f"{where}: driver-opts image=", BUILDKIT_DEFAULT, default=True)
        ]
    if name in ("docker/build-push-action", "docker/bake-action"):
        if "sbom" in given and (generator := sbom_generator(given["sbom"], f"{where}: sbom generator=")):
            found.append(generator)
        for attest in str(given.get("attests") or "").splitlines():
            if "type=sbom" in attest and (generator := sbom_generator(attest, f"{where}: attests generator=")):
                found.append(generator)
    return found


def images(workflow: dict[str, Any]) -> list[Image]:
    """Every image a run of ``workflow`` pulls, in the order the workflow names them."""
    found: list[Image] = []
    for job_name, job in (workflow.get("jobs") or {}).items():
        container = job.get("container")
        if container:
            reference = container.get("image") if isinstance(container, dict) else container
            found.append(Image(f"{job_name}: container", str(reference)))
        for service, spec in (job.get("services") or {}).items():
            found.append(Image(f"{job_name}: services.{service}", str(spec.get("image"))))
        for index, step in enumerate(job.get("steps") or []):
            label = step.get("name") or action(step) or f"step {index + 1}"
            found += step_images(f"{job_name} / {label}", step)
    return found


def tag_of(text: str, reference: str) -> str | None:
    """The tag in the comment on the line naming ``reference``: its first word (``# v0.34.0`` gives v0.34.0)."""
    for line in text.splitlines():
        if reference in line and " # " in line:
            words = line.split(" # ", 1)[1].split()
            return words[0].rstrip(",;:") if words else None
    return None


def refresh_command(reference: str, tag: str | None) -> str:
    name = reference.split("@")[0]
    return f"docker buildx imagetools inspect {name}:{tag or 'TAG'}"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(arg) for arg in argv[1:] if arg != "--check"] or sorted(WORKFLOWS.glob("*.yml"))
    moving = []
    for path in paths:
        text = path.read_text()
        for image in images(yaml.safe_load(text)):
            if not image.pinned:
                moving.append(f"{path.name}: {image.where}: {image.reference}" + (" (the default)" * image.default))
            elif not check:
                tag = tag_of(text, image.reference)
                print(f"{path.name}: {image.where}\n  {image.reference}  # {tag or 'no tag in a comment'}")
                print(f"  refresh: {refresh_command(image.reference, tag)}  (its Digest: line)")
    for line in moving:
        print(f"not pinned by digest: {line}", file=sys.stderr)
    return 1 if moving else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
