"""``setup``'s options used wrongly: each refusal is one line, exit 2, before any request, and names
the option the user typed (``--store``, ``--visibility``, ...), as the CLI's other commands do.

Run in-process through the CLI's entry point (``tests.test_cli.in_process``) with no user token and
no server: a refusal that needed either would fail here, since options are checked first.
"""

from __future__ import annotations

import pytest

from tests.test_cli import in_process

BASE = ["setup", "--owner", "octo-org", "--store", "octo-org/app"]

#: (what the user added to BASE, or the whole argv when it starts with "setup"; a fragment of the refusal)
REFUSALS = {
    "name without a slug": (["--name=---"], "--name '---' has no ASCII letter or digit"),
    "permission without a level": (["--permission", "contents"], "--permission takes NAME=LEVEL"),
    "permission level empty": (["--permission", "contents="], "--permission takes NAME=LEVEL"),
    "permission far from any": (["--permission", "zzzzqqq=read"], "--permission"),
    "permission level": (["--permission", "contents=admin"], "--permission contents must be one of: read, write"),
    "repository of another owner": (["--repositories", "other-org/app"], "other-org/app"),
    "repository name": (["--repositories", "a b"], "--repositories"),
    "store owner": (["--store", "bad owner!/app"], "--store"),
    "store repository": (["--store", "octo-org/.."], "--store"),
    "store org": (["setup", "--owner", "octo-org", "--store-org=-bad-"], "--store-org"),
    "nothing to store": (["setup", "--owner", "octo-org"], "--store"),
    "visibility without org": (["--visibility", "all"], "--visibility"),
    "store repositories without org": (["--store-repositories", "app"], "--store-org"),
    "store repositories not selected": (
        ["setup", "--owner", "o", "--store-org", "o", "--visibility", "all", "--store-repositories", "app"],
        "--store-repositories",
    ),
    "store repositories name": (
        ["setup", "--owner", "o", "--store-org", "o", "--store-repositories", "a b"],
        "--store-repositories",
    ),
    "existing without id": (["--existing"], "--existing needs the app's --client-id"),
    "existing with only the key": (
        ["--existing", "--private-key-file", "app.pem"],
        "--existing needs the app's --client-id",
    ),
    "existing without key": (["--existing", "--app-id", "42"], "--existing needs the app's --private-key-file"),
    "existing with a name": (
        ["--existing", "--app-id", "42", "--private-key-file", "app.pem", "--name", "bot"],
        "--existing",
    ),
    "existing with public": (
        ["--existing", "--app-id", "42", "--private-key-file", "app.pem", "--public"],
        "--existing",
    ),
    "app id without existing": (["--app-id", "42"], "--app-id is for an app that exists"),
    "key without existing": (["--private-key-file", "app.pem"], "--private-key-file is for an app that exists"),
    "app id not digits": (["--existing", "--app-id", "Iv1.abc", "--private-key-file", "app.pem"], "--app-id must be"),
    "client id characters": (
        ["--existing", "--client-id", "Iv1 abc", "--private-key-file", "app.pem"],
        "--client-id must be",
    ),
    "variable name": (["--variable-name", "1ST"], "--variable-name"),
    "secret name reserved": (["--secret-name", "GITHUB_KEY"], "--secret-name"),
    "timeout zero": (["--timeout", "0"], "--timeout must be seconds"),
    "timeout over a day": (["--timeout", "25h"], "--timeout must be seconds"),
    "url scheme": (["--github-url", "ftp://ghe.example"], "--github-url is not usable (it must start with https://"),
    "url without host": (["--github-url", "https://"], "--github-url is not usable (it must start with https://"),
    "url bad port": (["--github-url", "https://ghe.example:99999"], "(its port must be a number from 1 to 65535)"),
    "url credentials": (
        ["--github-url", "https://me:pw@ghe.example"],
        "(it must not contain credentials): '(not shown)'",
    ),
    "url query": (["--github-url", "https://ghe.example/?x=1"], "it must not contain a query"),
    "url fragment": (["--github-url", "https://ghe.example#top"], "it must not contain a query"),
    "url path": (["--github-url", "https://ghe.example/api/v3"], "it must be the server's address alone"),
    "url whitespace": (["--api-url", "https://ghe.example/api v3"], "--api-url is not usable"),
    "url plain http": (["--api-url", "http://ghe.example/api/v3"], "plain http is only allowed for a loopback host"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_each_setup_refusal_names_the_option_typed(case: str) -> None:
    extra, fragment = REFUSALS[case]
    argv = extra if extra[0] == "setup" else [*BASE, *extra]
    code, out, err = in_process(argv)
    lines = err.splitlines()
    assert (code, out, len(lines)) == (2, "", 1), err + out
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert "setup:" not in lines[0]  # our message, not argparse's usage error
