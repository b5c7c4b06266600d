"""Nothing lost: when a step fails after the app was created, its key is saved where only the user can
read it, and the command that finishes the job (``setup --existing``) is printed.

GitHub shows an app's private key once (the conversion's ``pem``); without it the app needs a new key
from its settings page. The file is created with ``O_CREAT | O_EXCL`` and mode 0600, so it never
exists readable by others, not even for a moment, and no file is ever overwritten; its name is the
one GitHub's own download has (``{slug}.{YYYY-MM-DD}.private-key.pem``, the date in UTC).
"""

from __future__ import annotations

import datetime
import os
import re
import shlex
from collections.abc import Sequence
from pathlib import Path


def save_key(directory: Path, slug: str, pem: str, today: datetime.date | None = None) -> Path:
    """Write ``pem`` to a new file in ``directory`` (mode 0600); return its absolute path. Raises OSError."""
    day = (today or datetime.datetime.now(datetime.UTC).date()).isoformat()
    slug = re.sub(r"[^a-z0-9-]+", "-", slug.lower()).strip("-")[:60] or "github-app"  # a file name, nothing more
    directory.mkdir(parents=True, exist_ok=True)
    for attempt in range(100):
        suffix = f".{attempt}" if attempt else ""
        path = directory / f"{slug}.{day}{suffix}.private-key.pem"
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask
            file.write(pem if pem.endswith("\n") else pem + "\n")
        return path.resolve()
    raise FileExistsError(f"{directory}: too many saved keys for {slug}")


def writable(directory: Path) -> bool:
    """Whether a file can be created in ``directory`` (or in the nearest existing parent, which
    :func:`save_key` would create it under)."""
    current = directory.expanduser().absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current.is_dir() and os.access(current, os.W_OK | os.X_OK)


def finish_command(client_id: str, key_path: Path, arguments: Sequence[str]) -> str:
    """The command that finishes the job for the app: ``setup --existing`` with the saved key and the
    user's other options (``arguments``: the options to keep, already without ``--name`` and the like)."""
    words = ["github-app-token", "setup", "--existing", "--client-id", client_id, "--private-key-file", str(key_path)]
    return shlex.join([*words, *arguments])
