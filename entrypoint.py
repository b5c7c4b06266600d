#!/usr/local/bin/python3 -I
"""Container entrypoint: run the main step, or the post step when invoked as ``post``.

The image runs this file as ``/action/entrypoint.py`` for the main step, and through
the link ``/action/post`` (action.yml's ``post-entrypoint``) for the post step.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "src"))


def main() -> int:
    if os.path.basename(sys.argv[0]).startswith("post"):
        from github_app_token.post import run
    else:
        from github_app_token.main import run
    return run(os.environ)


if __name__ == "__main__":
    sys.exit(main())
