"""How each front end names its inputs in messages: the action by input name, the CLI by option.

A message says what was wrong in the words of the interface the user typed: ``'client-id'`` and
``'permission-contents'`` in a workflow, ``--client-id`` and ``--permission contents=…`` on a command
line. Messages (:mod:`github_app_token.messages`) refer to an input as ``{inputs[client-id]}``, by its
action input name, and are formatted with ``inputs=`` a :class:`Names`; a few phrases that differ in
more than a name (an example of the fix) are looked up the same way, under the keys of
:data:`ACTION_PHRASES`.
"""

from __future__ import annotations

from collections.abc import Mapping

PERMISSION_PREFIX = "permission-"

#: Phrases that differ between the front ends in more than a name.
ACTION_PHRASES = {
    "id-example": "e.g. client-id: ${{ vars.APP_CLIENT_ID }}",
    "permissions-listed": "The permission inputs are listed in the action's README and action.yml.",
    "ask-for-less": "with the permission-* inputs",
    "current-repository": "(GitHub Actions sets it on its own)",
    "ca-bundle-where": "a path relative to the workspace (check out the repository first if the file is "
    "in it), an absolute path, or the PEM text itself",
    "key-path-fix": "give the key's text instead (the PEM file's contents, from a secret: "
    "private-key: ${{ secrets.APP_PRIVATE_KEY }}).",
    "this-step": "this step",
    "one-step": "one step",
    "another-step": "another step",
    "several-steps": "several steps or jobs",
}
CLI_PHRASES = {
    "id-example": "e.g. --client-id Iv23li...",
    "permissions-listed": "The permissions are listed in the README's permission table (--permission NAME=LEVEL).",
    "ask-for-less": "with fewer or lower --permission options",
    "current-repository": "(GITHUB_REPOSITORY and GITHUB_REPOSITORY_OWNER are set in GitHub Actions only)",
    "ca-bundle-where": "the path of a PEM file (relative paths start from the current directory)",
    "key-path-fix": "pass the file with --private-key-file PATH instead.",
    "this-step": "this command",
    "one-step": "one create command",
    "another-step": "another create command",
    "several-steps": "several create commands",
}


class Names:
    """The words for each input of one front end: ``names["client-id"]`` -> ``'client-id'`` or ``--client-id``.

    ``table`` maps action input names to how this front end refers to them; a ``permission-NAME``
    key is made from ``permission`` (a template with ``{name}``); the keys of ``phrases`` give the
    phrases of :data:`ACTION_PHRASES`. An input missing from the table is quoted as the action
    names it.
    """

    def __init__(self, table: Mapping[str, str], permission: str, phrases: Mapping[str, str]) -> None:
        self.table = dict(table)
        self.permission_template = permission
        self.phrases = dict(phrases)

    def __getitem__(self, name: str) -> str:
        if name in self.phrases:
            return self.phrases[name]
        if name.startswith(PERMISSION_PREFIX) and name not in self.table:
            return self.permission_template.format(name=name[len(PERMISSION_PREFIX) :])
        return self.table.get(name, f"'{name}'")

    def permission(self, api_name: str) -> str:
        """How to name the permission ``api_name`` (e.g. ``pull_requests``) as an input."""
        return self[PERMISSION_PREFIX + api_name.replace("_", "-")]

    def replace(self, **table: str) -> Names:
        """The same names with some inputs named otherwise (keyword ``private_key`` for ``private-key``)."""
        changed = {key.replace("_", "-"): value for key, value in table.items()}
        return Names({**self.table, **changed}, self.permission_template, self.phrases)

    @property
    def is_action(self) -> bool:
        return self.phrases == ACTION_PHRASES


#: The action: inputs by name, as written under ``with:``.
ACTION_NAMES = Names({}, "'permission-{name}'", ACTION_PHRASES)

#: The command line: inputs by option.
CLI_NAMES = Names(
    {
        "client-id": "--client-id",
        "app-id": "--app-id",
        "private-key": "the private key (--private-key-file or --private-key-env)",
        "app-jwt": "the app JWT (--app-jwt-file or --app-jwt-env)",
        "owner": "--owner",
        "repositories": "--repositories",
        "repository-ids": "--repository-ids",
        "installation-id": "--installation-id",
        "enterprise": "--enterprise",
        "github-api-url": "--api-url",
        "ca-bundle": "--ca-bundle",
        "bot-identity": "--bot-identity",
    },
    "--permission {name}=…",
    CLI_PHRASES,
)
