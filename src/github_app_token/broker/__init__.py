"""The token broker of ``lifetime: job``: a fresh installation access token within reach of every later step.

GitHub makes an installation token expire one hour after it is created and it cannot be extended
(``POST /app/installations/{installation_id}/access_tokens``). With ``lifetime: job`` the main step
mints the first tokens as always, then starts the broker: a sibling container of the action's own
image (:mod:`.launch`, with the Docker SDK through the Docker socket the runner mounts), detached,
holding the signing credentials in memory only (handed over on its standard input). It listens on a
Unix socket in a directory every later step of the job can reach (the job's temp directory),
mode 0600, and hands out the current token while it has a sixth of its life left (ten minutes of
GitHub's hour), else a new one of exactly the first token's scope (:mod:`.server`). Later steps
reach it through two small scripts written beside the socket (:mod:`.scripts`): a git credential
helper and a command that prints a token. The post step asks it to revoke every token it minted and
stop (:mod:`.stop`); it also stops by itself when its directory disappears (the runner empties the
temp directory at the job's end), at a deadline, or on an error it cannot recover from, revoking
first. Modules: :mod:`.protocol` (what both sides share), :mod:`.launch` (the main step's side),
:mod:`.server` (the broker), :mod:`.scripts`, :mod:`.stop` (the post step's side).
"""
