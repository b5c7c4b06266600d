"""``github-app-token``: the core (:mod:`github_app_token.core`) as a command-line tool.

Subcommands, one module each: ``create`` (mint installation access tokens and hand them over),
``revoke``, ``installations``, ``git-credential`` (a git credential helper that mints on demand)
and ``setup`` (register, install and store an app; left out of the action's image). Options
mirror the action's inputs and go through the same parsing; every message names the option the
user typed. Exit codes: 0 success, 2 bad input,
3 GitHub refused, 4 GitHub unreachable, 128 + N when cancelled by signal N (130 for Ctrl-C), 1 for
a bug (see :mod:`github_app_token.errors`). Ctrl-C and SIGTERM never leave a token valid that
nobody holds (:mod:`github_app_token.cancel`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import TextIO

from .. import __version__
from ..cancel import SIGNALS, Cancellation
from ..errors import ActionError
from . import create, git_credential, installations, revoke, setup
from .common import EPILOG, Context, Parser


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="github-app-token",
        description="Create, revoke and inspect GitHub App installation access tokens.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (create, revoke, installations, git_credential, setup):
        module.add_parser(commands)
    return parser


@contextlib.contextmanager
def signals_handled(cancellation: Cancellation) -> Iterator[None]:
    """SIGINT and SIGTERM set ``cancellation`` while the command runs (main thread only), then the
    previous handlers come back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in SIGNALS}
    cancellation.install()
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def main(
    argv: Sequence[str] | None = None,
    environ: dict[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; return the exit code. Errors go to stderr as one line."""
    ctx = Context(
        dict(os.environ if environ is None else environ), stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    )
    args = build_parser().parse_args(argv)
    handled = contextlib.nullcontext() if getattr(args, "own_signals", False) else signals_handled(ctx.cancellation)
    with handled:
        try:
            code: int = args.run(args, ctx)
        except ActionError as error:
            ctx.error(str(error))
            return error.exit_code
        except Exception as error:  # noqa: BLE001 - one line, no traceback that could carry a secret
            ctx.error(f"unexpected {type(error).__name__}; please report it")
            return 1
    return code
