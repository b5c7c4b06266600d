"""Coverage in the subprocesses the tests start with an environment of their own.

Under ``coverage run`` with ``patch = ["subprocess", …]`` (pyproject.toml), coverage puts its
configuration in ``COVERAGE_PROCESS_CONFIG``, and the ``.pth`` file it installs in site-packages
(which ``python -I`` still reads) starts coverage in any Python process that has that variable.
A child given only an allow-listed environment (the runner harness, the CLI tests) gets it through
:func:`coverage_env`; outside a coverage run this is empty, so the environment stays as the runner's.
"""

from __future__ import annotations

import os

VARIABLES = ("COVERAGE_PROCESS_CONFIG",)


def coverage_env() -> dict[str, str]:
    """The variables that carry coverage into a child, when this process measures coverage."""
    return {name: os.environ[name] for name in VARIABLES if name in os.environ}
