#!/usr/local/bin/python3 -I
"""Container entrypoint: run the main step, or the post step when invoked as ``post``.

The image runs this file as ``/action/entrypoint.py`` for the main step, through the link
``/action/post`` (action.yml's ``post-entrypoint``) for the post step, and through the link
``/action/broker`` for the token broker of ``lifetime: job``.

Each step is a short-lived process, so two start-up costs are skipped: the cyclic
garbage collector (reference counting still frees memory) and the interpreter's
finalisation at exit (everything is written, flushed and closed before ``os._exit``).
"""

import gc

gc.disable()

import contextlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "src"))


def main() -> int:
    from github_app_token.cancel import Cancellation

    stage = os.path.basename(sys.argv[0])
    if stage.startswith("broker"):  # /action/broker: the token broker of lifetime: job
        from github_app_token.broker.server import run as broker

        return broker()
    cancellation = Cancellation().install()  # SIGINT/SIGTERM: finish cleanly, revoke, say so
    if stage.startswith("post"):
        from github_app_token.post import run
    else:
        from github_app_token.main import run
    return run(os.environ, cancellation=cancellation)


if __name__ == "__main__":
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # nobody reads the output: the work is done all the same
            stream.flush()
    os._exit(code)
