"""``github-app-token setup``: from nothing to a working workflow in one command (issue 16).

Registers a GitHub App from a manifest (GitHub Docs, "Registering a GitHub App from a manifest"),
has the user install it, stores its client ID as an Actions variable and its private key as an
Actions secret, and proves that a token can be minted with them, through :mod:`github_app_token.core`.

The command-line tool's alone: the action never imports this package, and the action's image
leaves it out (``image/rootfs.py``), with PyNaCl, which only :mod:`.store` needs. One job per module:

- :mod:`.options`: the subcommand's options, checked before anything is created;
- :mod:`.endpoints`: the web and REST API URLs of github.com or GitHub Enterprise Server;
- :mod:`.user_token`: the user's token (environment or ``gh auth token``) and what it may do;
- :mod:`.client`: the REST operations setup uses, over :class:`github_app_token.github_api.GitHubAPI`;
- :mod:`.manifest`: the app manifest, its name rules and the creation form's address;
- :mod:`.local_server`: the page on 127.0.0.1 that posts the manifest, and the one-time callback;
- :mod:`.installation`: the installation page's address, and the bounded wait for the installation;
- :mod:`.store`: Actions secrets (libsodium sealed boxes) and variables, in repositories or an organization;
- :mod:`.prove`: a token minted and revoked with the new credentials, through the action's core;
- :mod:`.rescue`: nothing lost: the key saved to a file only the user can read, and the command that finishes;
- :mod:`.command`: the steps in order, and what the user sees; :mod:`.messages`: every message.
"""
