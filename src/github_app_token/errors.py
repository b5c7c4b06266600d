"""Exceptions that carry a user-facing message.

Every message is written for the person reading the workflow log: it names the cause
and the fix, and never contains a secret (token, app JWT or private key).
"""

from __future__ import annotations


class ActionError(Exception):
    """A failure the user can act on; ``str(error)`` is the whole message."""

    #: Process exit code for the command-line tool (the action always exits 1).
    exit_code = 1


class InputError(ActionError):
    """An input (or the runner environment) is missing or malformed."""

    exit_code = 2


class MissingCredentials(InputError):
    """The app's credentials are empty (no key, no ID): a secret the run did not get, most likely."""


class GitHubAPIError(ActionError):
    """GitHub answered with an unexpected HTTP status.

    Attributes: ``status`` (int), ``github_message`` (GitHub's ``message`` field, or the
    HTTP reason phrase), ``documentation_url`` (str or ``None``), ``method`` and ``path``;
    ``rate_limited`` when GitHub's rate limit refused it (the message then says which limit).
    """

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        status: int,
        github_message: str,
        documentation_url: str | None,
        method: str,
        path: str,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.github_message = github_message
        self.documentation_url = documentation_url
        self.method = method
        self.path = path
        self.rate_limited = rate_limited

    def explained(self, message: str) -> GitHubAPIError:
        """The same refusal with a message that says how to fix it."""
        return GitHubAPIError(
            message,
            status=self.status,
            github_message=self.github_message,
            documentation_url=self.documentation_url,
            method=self.method,
            path=self.path,
            rate_limited=self.rate_limited,
        )


class NetworkError(ActionError):
    """GitHub could not be reached (connection, TLS or timeout)."""

    exit_code = 4
