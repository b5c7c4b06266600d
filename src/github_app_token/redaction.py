"""What a message may quote of what the user typed: never a secret given in the wrong place.

A private key passed where a path goes (``--private-key-file "$(cat app.pem)"``), a token given as an
argument (``revoke "$token"``), a JWT in a variable-name option: the user's value would be echoed by
the message that refuses it, and a terminal's scroll-back, a CI log or a support ticket would keep
it. :func:`looks_secret` says whether a value must not be quoted; :func:`redact` takes the secrets out of
a message someone else wrote (argparse's "invalid choice" and "unrecognized arguments" quote the value).
"""

from __future__ import annotations

import itertools
import re

#: Where a secret-looking value would have been quoted.
NOT_SHOWN = "(not shown: it looks like a secret)"

#: Longer than any path or name a user types by hand; a key or a new-style token is longer.
LONGEST_SHOWN = 200

#: Not after a letter or digit: a token glued to a word (``x_ghp_...``) is still a token.
_START = r"(?<![A-Za-z0-9])"

_SECRETS = re.compile(
    r"-----BEGIN[^\n]*"  # a PEM block's first line (what follows is cut off below)
    # GitHub tokens (ghs_ installation, ghp_, gho_, ghu_, ghr_; GitHub's pattern is 36 or more after the
    # prefix, 20 still catches a cut one), not a name such as ghs_team
    rf"|{_START}gh[opsur]_[A-Za-z0-9_.\-]{{20,}}"
    rf"|{_START}github_pat_[A-Za-z0-9_]{{20,}}"
    rf"|{_START}eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-.]*"  # a JWT: base64url of '{{"' then dots
)

#: A run of base64 as long as 40 characters: a piece of a key's body, of its base64, of a token.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=_\-]{40,}")


def _class(c: str) -> str:
    return "A" if c.isupper() else "a" if c.islower() else "0" if c.isdigit() else "."


def _random_looking(match: re.Match[str]) -> bool:
    """As random bytes' base64 is, and a name or path (``/Users/AliceSmith/GitHubApps/Key2024``,
    ``ConfigurationManagement2024``) is not: digits in three places or more, few lowercase words (runs of
    four), and the kind of character (capital, small, digit, other) changing at about every other one."""
    run = match.group()
    changes = sum(_class(a) != _class(b) for a, b in itertools.pairwise(run))
    islands = len(re.findall(r"[0-9]+", run))
    words = len(re.findall(r"[a-z]{4,}", run))
    return islands >= 3 and words * 20 <= len(run) and changes >= 0.45 * (len(run) - 1)


def looks_secret(value: str) -> bool:
    """Whether ``value`` must not be quoted in a message: more than one line, longer than a typed
    path or name, or holding something shaped like a key, a token, a JWT or base64 of a key."""
    if "\n" in value or "\r" in value or len(value) > LONGEST_SHOWN or _SECRETS.search(value):
        return True
    return any(_random_looking(match) for match in _BASE64_RUN.finditer(value))


def redact(text: str) -> str:
    """``text`` with every secret-like part replaced by :data:`NOT_SHOWN`; from a PEM block's
    ``-----BEGIN`` line on, everything is cut off (the key's lines follow it)."""
    begin = text.find("-----BEGIN")
    if begin >= 0:
        text = text[:begin] + NOT_SHOWN
    text = _SECRETS.sub(NOT_SHOWN, text)
    text = _BASE64_RUN.sub(lambda match: NOT_SHOWN if _random_looking(match) else match.group(), text)
    return text.replace(NOT_SHOWN + NOT_SHOWN, NOT_SHOWN)


def quoted(value: str) -> str:
    """``'value'``, or :data:`NOT_SHOWN` when it may not be shown."""
    return NOT_SHOWN if looks_secret(value) else f"'{value}'"
