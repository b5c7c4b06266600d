"""``python -m github_app_token.cli``: the same as the ``github-app-token`` command."""

from . import main

raise SystemExit(main())
