"""A token GitHub created is never lost to a failing log: handed over, or revoked at once.

The action masks each token (``::add-mask::`` on standard output) the moment it arrives, and logs
each request at debug level; when that output is gone (a closed pipe, a full disk: OSError), the
answer that carried the token must still be read and the token revoked or handed over.
"""

from __future__ import annotations

import pytest

from github_app_token.core import MintRequest, mint, request_for
from github_app_token.errors import ActionError
from github_app_token.github_api import GitHubAPI
from github_app_token.inputs import parse_main_inputs
from tests.github_emulator import App, GitHubEmulator


def request(emulator: GitHubEmulator, app: App, app_key_pem: str, owners: str = "octo-org") -> MintRequest:
    env = {
        "INPUT_CLIENT-ID": app.client_id,
        "INPUT_PRIVATE-KEY": app_key_pem,
        "INPUT_OWNER": owners,
        "INPUT_GITHUB-API-URL": emulator.url,
    }
    return request_for(parse_main_inputs(env), "")


def closed_log(line: str) -> None:
    raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("owners", ["octo-org", "octo-org\noctocat"])
def test_a_token_that_cannot_be_masked_is_revoked_not_lost(
    emulator: GitHubEmulator, app: App, app_key_pem: str, owners: str
) -> None:
    """``on_token`` (the mask) raising used to escape ``mint`` with the token valid and held by nobody."""
    api = GitHubAPI(emulator.url)
    with pytest.raises(ActionError) as raised:
        mint(request(emulator, app, app_key_pem, owners), api, on_token=closed_log)
    assert emulator.tokens and all(token.revoked for token in emulator.tokens.values())
    assert "could not be masked in the log (BrokenPipeError), so it was revoked" in str(raised.value)
    for token in emulator.tokens:
        assert token not in str(raised.value)


def test_a_closed_debug_log_does_not_lose_the_token(emulator: GitHubEmulator, app: App, app_key_pem: str) -> None:
    """The debug line after ``POST .../access_tokens`` raising used to lose the answer, and its token."""
    api = GitHubAPI(emulator.url, debug=closed_log)
    minted = mint(request(emulator, app, app_key_pem), api)
    assert [item.token.token for item in minted] == list(emulator.tokens)
    assert not any(token.revoked for token in emulator.tokens.values())
