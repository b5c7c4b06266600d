"""The command later steps run to reach the broker, written beside its socket.

One POSIX ``sh`` script, ``token``, for every place a later step may run: on the runner's host, in a
Docker action's container, in a job container (each sees the temp directory at its own path; the
script finds the socket beside itself). It needs ``curl`` (``--unix-socket``) or, without curl,
``python3``. Two uses:

- ``"$GITHUB_APP_TOKEN_COMMAND" [OWNER]`` prints a fresh token (the first owner's when none is
  named), e.g. ``GH_TOKEN="$("$GITHUB_APP_TOKEN_COMMAND")" gh ...``;
- ``"$GITHUB_APP_TOKEN_COMMAND" git-credential get`` is a git credential helper (gitcredentials(7)):
  it reads git's description of the URL, takes the owner from ``path`` (git sends it because
  ``credential.<server>.useHttpPath`` is set) and answers ``username=x-access-token`` and the token
  as ``password``; ``store`` and ``erase`` do nothing.

Both print ``::add-mask::TOKEN`` on standard error before answering, so a token first seen in a
step is masked in that step's log (the runner reads workflow commands on standard error too).
"""

from __future__ import annotations

TOKEN_SCRIPT: str = r"""#!/bin/sh
# github-app-token (lifetime: job): print a fresh installation access token, or answer git as a
# credential helper ("git-credential get"). Talks to the token broker over its Unix socket, beside
# this file. Needs curl or python3. The token is masked (::add-mask:: on standard error) first.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || exit 1
socket="$here/broker.sock"
owner=""
helper=""
if [ "${1:-}" = "git-credential" ]; then
  helper=1
  [ "${2:-}" = "get" ] || exit 0
  while IFS= read -r line && [ -n "$line" ]; do
    case "$line" in
      path=*) owner=${line#path=}; owner=${owner%%/*} ;;
    esac
  done
elif [ -n "${1:-}" ]; then
  owner=$1
fi
case "$owner" in
  *[!A-Za-z0-9_-]*) echo "github-app-token: '$owner' is not a GitHub owner name" >&2; exit 1 ;;
esac
if [ ! -S "$socket" ]; then
  echo "github-app-token: the token broker is gone (its socket $socket is missing): the job's tokens were revoked" >&2
  exit 1
fi
if command -v curl >/dev/null 2>&1; then
  answer=$(curl --silent --show-error --unix-socket "$socket" --write-out '\n%{http_code}' \
    "http://broker/token?owner=$owner") || exit 1
  code=$(printf '%s\n' "$answer" | tail -n 1)
  token=$(printf '%s\n' "$answer" | sed '$d')
  if [ "$code" != 200 ]; then
    echo "github-app-token: the token broker answered: $token" >&2
    exit 1
  fi
elif command -v python3 >/dev/null 2>&1; then
  token=$(python3 - "$socket" "$owner" <<'PYTHON'
import http.client, socket, sys
class Connection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(sys.argv[1])
connection = Connection("broker", timeout=60)
connection.request("GET", "/token?owner=" + sys.argv[2])
answer = connection.getresponse()
text = answer.read().decode().strip()
if answer.status != 200:
    sys.exit("github-app-token: the token broker answered: " + text)
print(text)
PYTHON
) || exit 1
else
  echo "github-app-token: neither curl nor python3 is here to reach the token broker" >&2
  exit 1
fi
[ -n "$token" ] || exit 1
printf '::add-mask::%s\n' "$token" >&2
if [ -n "$helper" ]; then
  printf 'username=x-access-token\npassword=%s\n' "$token"
else
  printf '%s\n' "$token"
fi
"""  # noqa: S105 - a script, not a password
