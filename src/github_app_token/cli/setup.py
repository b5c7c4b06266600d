"""``github-app-token setup``: registers, installs and stores a GitHub App (:mod:`github_app_token.setup`).

The setup package is the CLI's alone and is left out of the action's image (image/rootfs.py); there,
``setup`` is a stand-in that says, in one line, where to run it.
"""

from __future__ import annotations

import argparse

from .common import Context

NOT_IN_IMAGE = (
    "the setup command is not part of the action's image; run it where you work: "
    "pipx run github-app-token setup ... (or pip install github-app-token)."
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``setup`` subcommand, or where its package is left out (the action's image) a stand-in."""
    try:
        from ..setup.options import add_parser as add_setup
    except ImportError:
        # Every argument (--help too) is taken as it is, so that the command says the one thing it can.
        stand_in = commands.add_parser(
            "setup", help="not part of this installation", add_help=False, prefix_chars="\x01"
        )
        stand_in.add_argument("rest", nargs="*")
        stand_in.set_defaults(run=run, own_signals=True)
        return
    add_setup(commands.add_parser).set_defaults(run=run, own_signals=True)  # it handles Ctrl-C itself


def run(args: argparse.Namespace, ctx: Context) -> int:
    try:
        from ..setup.command import main as setup
    except ImportError:
        ctx.error(NOT_IN_IMAGE)
        return 2
    return setup(args, ctx.environ, ctx.stdout, ctx.stderr)
