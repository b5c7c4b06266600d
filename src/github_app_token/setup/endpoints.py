"""Where GitHub is: the web URL (pages the user opens) and the REST API URL (what the command calls).

github.com: web ``https://github.com``, API ``https://api.github.com``. GitHub Enterprise Server:
web ``https://HOST``, API ``https://HOST/api/v3`` (GitHub Docs, "Getting started with the REST API",
"Enterprise Server"). ``--api-url`` overrides the derived API URL.
"""

from __future__ import annotations

import urllib.parse
from typing import NamedTuple

from ..errors import InputError
from ..inputs import is_loopback
from . import messages

GITHUB_COM = "https://github.com"
GITHUB_COM_API = "https://api.github.com"


class Endpoints(NamedTuple):
    """``web`` and ``api`` without a trailing ``/``; ``host`` is the web host (for ``gh --hostname``);
    ``enterprise`` is true for any host but github.com (gh then reads GH_ENTERPRISE_TOKEN)."""

    web: str
    api: str
    host: str
    enterprise: bool


def check_url(flag: str, value: str, *, path_allowed: bool) -> str:
    """``value`` without a trailing ``/`` when it is an https URL (http only to a loopback host, as
    :func:`github_app_token.inputs.is_loopback` decides), with no credentials, query or fragment (and
    no path unless ``path_allowed``); else InputError naming ``flag``."""
    url = value.strip().rstrip("/")
    bad_port = False
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        host, parts = "", urllib.parse.urlsplit("")
    try:
        _ = parts.port
    except ValueError:
        bad_port = True
    why = ""
    if bad_port and host:
        why = "its port must be a number from 1 to 65535"
    elif parts.scheme not in ("https", "http") or not host:
        why = "it must start with https:// and name a host"
    elif parts.scheme == "http" and not is_loopback(host):
        why = "plain http is only allowed for a loopback host; use https://"
    elif parts.username is not None or parts.password is not None:
        why = "it must not contain credentials"
    elif parts.query or parts.fragment or "?" in url or "#" in url:
        why = "it must not contain a query (?) or a fragment (#)"
    elif parts.path and not path_allowed:
        why = "it must be the server's address alone, without a path"
    elif any(ch.isspace() or ord(ch) < 32 for ch in url):
        why = "it must not contain whitespace or control characters"
    if why:
        shown = "(not shown)" if "credentials" in why else url[:80]
        raise InputError(messages.BAD_URL.format(flag=flag, value=shown, why=why))
    return url


def resolve(github_url: str, api_url: str = "") -> Endpoints:
    """The endpoints for ``--github-url`` (default github.com) and ``--api-url`` (default derived).

    Raises InputError naming the flag for an unusable URL.
    """
    web = check_url("--github-url", github_url or GITHUB_COM, path_allowed=False)
    host = urllib.parse.urlsplit(web).netloc
    enterprise = host.lower() not in ("github.com", "www.github.com")
    if api_url.strip():
        api = check_url("--api-url", api_url, path_allowed=True)
    else:
        api = f"{web}/api/v3" if enterprise else GITHUB_COM_API
    if not enterprise:
        web = GITHUB_COM
    return Endpoints(web, api, host, enterprise)
