"""What a message may quote of what the user typed: never a secret given in the wrong place.

A private key passed where a path goes (``--private-key-file "$(cat app.pem)"``), a token given as an
argument (``revoke "$token"``), a JWT in a variable-name option: the user's value would be echoed by
the message that refuses it, and a terminal's scroll-back, a CI log or a support ticket would keep
it. :func:`looks_secret` says whether a value must not be quoted; :func:`redact` takes the secrets out of
a message someone else wrote (argparse's "invalid choice" and "unrecognized arguments" quote the value).
"""

from __future__ import annotations

import re

#: Where a secret-looking value would have been quoted.
NOT_SHOWN = "(not shown: it looks like a secret)"

#: Longer than any path or name a user types by hand; a key or a new-style token is longer.
LONGEST_SHOWN = 200

_SECRETS = re.compile(
    r"-----BEGIN[^\n]*"  # a PEM block's first line (what follows is cut off below)
    r"|\bgh[opsur]_[A-Za-z0-9_.\-]+"  # GitHub tokens: ghs_ (installation), ghp_, gho_, ghu_, ghr_
    r"|\bgithub_pat_[A-Za-z0-9_]+"
    r"|\beyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-.]*"  # a JWT: base64url of '{"' then dots
)

#: A run of base64 as long as a PEM line (64 characters): a key's body, or its base64, when it
#: mixes upper and lower case and digits, as random bytes do (a long directory name does not).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=_\-]{64,}")


def _random_looking(match: re.Match[str]) -> bool:
    run = match.group()
    return any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run)


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
