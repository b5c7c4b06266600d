"""User-facing messages, one constant each, so that wording is reviewed in one place.

Each error names what was wrong and how to fix it. Placeholders are filled with values
already escaped and shortened by the caller; no message ever receives a secret.
"""

# --- Inputs -------------------------------------------------------------------------
MISSING_APP_ID = (
    "Neither {inputs[client-id]} nor {inputs[app-id]} is set. Set {inputs[client-id]} (or {inputs[app-id]}) to "
    "the ID shown on your GitHub App's settings page, {inputs[id-example]}."
)
BAD_APP_ID = "{inputs[app-id]} must be the app's numeric ID, but it is '{value}'.{hint}"
BAD_CLIENT_ID = (
    "{inputs[client-id]} must be the app's client ID (letters, digits, '.', '_' or '-'), but it is '{value}'."
)
MISSING_PRIVATE_KEY = (
    "'private-key' is empty. Pass the GitHub App's private key from a secret, e.g. "
    "private-key: ${{ secrets.APP_PRIVATE_KEY }}; if it is set, check that the secret exists "
    "and is available to this workflow (secrets are not passed to workflows from forks)."
)
NO_SECRETS_FORK = (
    " This run is for a pull request from the fork '{fork}': GitHub gives such runs no secrets and no "
    "variables. Skip this step for them (set skip-without-credentials: true, or add "
    "if: github.event.pull_request.head.repo.full_name == github.repository)."
)
NO_SECRETS_DEPENDABOT = (
    " This run was started by Dependabot, whose runs get their secrets from the Dependabot secret "
    "store, not the Actions one, and no variables: add the key and the client ID under Settings > "
    "Secrets and variables > Dependabot, or set skip-without-credentials: true."
)
NO_VARIABLE_OTHERWISE = (
    " If it comes from a variable (vars.APP_CLIENT_ID), check its name under Settings > Secrets and "
    "variables > Actions > Variables (a variable that does not exist is empty, without an error); an "
    "environment's variable needs the job's environment:."
)
NO_SECRETS_OTHERWISE = (
    " If this step is in a reusable workflow, the calling workflow must pass the secret "
    "(secrets: inherit, or secrets: with its name); if it uses an environment's secret, the job needs "
    "that environment."
)
SKIPPED_NO_CREDENTIALS = (
    "No token was created, as 'skip-without-credentials' allows: {reason} The outputs are empty, "
    "'skipped' is true, and the post step has nothing to do."
)
BAD_INSTALLATION_ID = (
    "{inputs[installation-id]} must be the installation's numeric ID (the number at the end of the "
    "installation's settings URL), but it is '{value}'."
)
INSTALLATION_ID_NOT_FOUND = (
    "Installation {installation_id} from {inputs[installation-id]} does not exist or belongs to another app "
    "(HTTP 404). Check the ID, or leave {inputs[installation-id]} unset to look the installation up."
)
FOREIGN_INPUT = (
    "'{name}' is not an input of this action but another token action's (see the README's migration "
    "tables): write {fix}. Stopped before any request, so that no token is made from inputs that were "
    "not read."
)
PERMISSION_TYPO = (
    "'{name}' is not an input of this action, so it would ask for no permission and the token would "
    "get every permission of the installation. Did you mean {fix}? Stopped before any request."
)
UNDECLARED_INPUTS = "This action has no input {names}, so it was ignored; the inputs are listed in the README."
BAD_CHOICE = "'{name}' must be one of: {allowed}; it is '{value}'. Write one of them, or leave '{name}' out."
BAD_LIMIT = "'lifetime-limit-minutes' must be a whole number of minutes from 1 to {limit}, but it is '{value}'."
LIFETIME_WITHOUT_REVOKE = (
    "'lifetime: job' and 'skip-token-revoke: true' contradict each other: the broker's tokens are revoked "
    "when the job ends, that is what it is for. Remove one of them."
)
LIFETIME_UNAVAILABLE = (
    "'lifetime: job' cannot work here: {reason}. The token lives one hour, as with 'lifetime: hour'; set "
    "'lifetime-fallback: fail' to fail instead."
)
LIFETIME_REQUIRED = (
    "'lifetime: job' cannot work here: {reason}; 'lifetime-fallback: fail' asks to fail rather than go on "
    "with a token that expires in an hour. Run the job on a Linux runner whose Docker socket the action "
    "can reach, with 'private-key' (not 'app-jwt'), or set 'lifetime-fallback: hour'."
)
BROKER_STOPPED = "The token broker revoked {revoked} token(s) and stopped."
BROKER_NOT_STOPPED = (
    "The token broker could not be asked to stop ({problem}); the tokens the main step saved are revoked "
    "here. Tokens it minted later expire within the hour; it stops by itself when the job's temp "
    "directory is removed."
)
BROKER_LEFT_VALID = (
    "The token broker revoked {revoked} token(s), but {left} could not be revoked; they expire within the hour."
)
BROKER_STILL_RUNNING = (
    "The token broker's container {container} could not be removed; stop it with docker rm -f {container}."
)
BAD_BOOLEAN = (
    "'{name}' must be true or false (any case), but it is '{value}'. Write '{name}: true' or "
    "'{name}: false' (YAML's yes, no, on and off are strings to the runner)."
)
BAD_API_URL = (
    "{inputs[github-api-url]} is not usable ({why}): '{value}'. Use the REST API URL, e.g. "
    "https://api.github.com or https://HOST/api/v3 for GitHub Enterprise Server."
)
BAD_OWNER = (
    "'{value}' from {source} is not a valid GitHub user or organization name "
    "(letters, digits and single hyphens, up to 100 characters)."
)
BAD_REPOSITORY = (
    "'{value}' from {source} is not a valid repository name: use the name ('repo') or "
    "'owner/repo', with letters, digits, '.', '-' or '_' only."
)
REPOSITORY_OF_OTHER_OWNER = (
    "Repository '{entry}' in {inputs[repositories]} belongs to another owner than {owners} listed in "
    "{inputs[owner]}. Add its owner to {inputs[owner]} (a token is created for each owner listed), or remove the entry."
)
BARE_REPOSITORY_WITH_OTHER_OWNER = (
    "Repository '{entry}' in {inputs[repositories]} belongs to another owner than '{owner}', the owner of "
    "'{name}' and of the other names written without an owner. With several owners, write every "
    "entry as 'owner/repo' (a token is created for each owner), or set {inputs[owner]} to one owner."
)
BARE_REPOSITORY_SEVERAL_OWNERS = (
    "{inputs[repositories]} names '{name}' without an owner, but {inputs[owner]} lists several ({owners}). Write it "
    "as 'owner/{name}', so that it is clear which owner's token covers it."
)
OWNER_WITHOUT_REPOSITORIES = (
    "{inputs[owner]} lists '{owner}', but {inputs[repositories]} names none of its repositories. Add at least "
    "one '{owner}/repo' entry, or remove '{owner}' from {inputs[owner]} and use {inputs[another-step]} for a "
    "token over all of its repositories (least privilege: no whole-installation token is made by omission)."
)
TOO_MANY_OWNERS = (
    "{inputs[owner]} lists {count} owners; {inputs[one-step]} mints tokens for at most {limit}. Split them over "
    "{inputs[several-steps]}."
)
SEVERAL_OWNERS = "These inputs name several owners ({owners}), where one is needed."
BAD_REPOSITORY_ID = (
    "{inputs[repository-ids]} must hold repository IDs (numbers, e.g. from github.repository_id), separated by "
    "commas or newlines, but it holds '{value}'."
)
REPOSITORY_IDS_NEED_ONE_OWNER = (
    "{inputs[repository-ids]} can only be used with one owner, because an ID does not say which owner's "
    "installation it belongs to, but the inputs name several ({owners}). Use {inputs[one-step]} per owner."
)
INSTALLATION_ID_SEVERAL_OWNERS = (
    "{inputs[installation-id]} names one installation, which belongs to one owner, but the inputs name "
    "several owners. Leave {inputs[installation-id]} unset to look each owner's installation up."
)
APP_JWT_AND_PRIVATE_KEY = (
    "Both {inputs[app-jwt]} and {inputs[private-key]} are set. Give one of them: {inputs[app-jwt]} when the app JWT is "
    "signed elsewhere (then the key never reaches {inputs[this-step]}), otherwise {inputs[private-key]}."
)
TOO_MANY_REPOSITORIES = (
    "{inputs[repositories]} lists {count} repositories, but a token can name at most {limit}. Leave "
    "{inputs[repositories]} unset and set {inputs[owner]} to get every repository of the installation."
)
UNKNOWN_PERMISSION = "{input} is not a GitHub App permission.{hint} {inputs[permissions-listed]}"
BAD_PERMISSION_LEVEL = "{input} must be one of: {allowed}; it is '{value}'."
ENTERPRISE_WITH_SCOPE = (
    "{inputs[enterprise]} cannot be combined with {inputs[owner]} or {inputs[repositories]} (or "
    "{inputs[repository-ids]}): an enterprise installation's token covers the enterprise, not "
    "repositories. Use {inputs[one-step]} for the enterprise and {inputs[another-step]} for an owner's repositories."
)
MISSING_GITHUB_REPOSITORY = (
    "GITHUB_REPOSITORY is not set, so the current repository is unknown. Set {inputs[owner]} and/or "
    "{inputs[repositories]} {inputs[current-repository]}."
)
MISSING_GITHUB_REPOSITORY_OWNER = (
    "GITHUB_REPOSITORY_OWNER is not set, so the owner of {inputs[repositories]} is unknown. Set "
    "{inputs[owner]} too {inputs[current-repository]}."
)

BAD_CA_BUNDLE = (
    "{inputs[ca-bundle]} starts like PEM text but holds no -----BEGIN CERTIFICATE----- block. Give the CA "
    "certificate(s) in PEM, or {inputs[ca-bundle-where]}."
)
CA_BUNDLE_NOT_FOUND = "{inputs[ca-bundle]} names '{value}', which is not a file. Give {inputs[ca-bundle-where]}."

# --- App JWT signed elsewhere (app-jwt) ------------------------------------------------
APP_JWT_HOW = (
    " Sign it right before {inputs[this-step]} runs: RS256 with the GitHub App's private key, 'iss' the client ID "
    "or app ID, 'iat' 60 seconds in the past and 'exp' at most 10 minutes ahead (see the README's "
    "recipe)."
)
APP_JWT_MALFORMED = "{inputs[app-jwt]} is not a JSON web token (three base64url parts separated by dots)." + APP_JWT_HOW
APP_JWT_NOT_RS256 = "{inputs[app-jwt]} is signed with '{alg}', but GitHub accepts only RS256 app JWTs." + APP_JWT_HOW
APP_JWT_NO_ISSUER = "{inputs[app-jwt]} has no 'iss' claim: it must name the app by client ID or app ID." + APP_JWT_HOW
APP_JWT_NO_TIMES = (
    "{inputs[app-jwt]} lacks an 'iat' or 'exp' claim, or one is not a whole number of seconds." + APP_JWT_HOW
)
APP_JWT_EXPIRED = "{inputs[app-jwt]} expired at {when}, {ago} s ago." + APP_JWT_HOW
APP_JWT_TOO_SHORT = (
    "{inputs[app-jwt]} expires in {left} s: too soon for {inputs[this-step]} to finish (it may need up to {minimum} s, "
    "and a JWT signed elsewhere cannot be signed again here)." + APP_JWT_HOW
)
APP_JWT_NOT_YET = (
    "{inputs[app-jwt]} is issued at {when}, {ahead} s in the future by this runner's clock; GitHub refuses it "
    "until then. Check the clock of the machine that signed it." + APP_JWT_HOW
)
APP_JWT_TOO_LONG = (
    "{inputs[app-jwt]} is valid for {minutes} more minutes; GitHub refuses app JWTs that expire more than 10 "
    "minutes ahead." + APP_JWT_HOW
)
APP_JWT_REJECTED = (
    "GitHub rejected the app JWT from {inputs[app-jwt]} (HTTP 401: {github_message}). Check that it is signed "
    "with a private key of the GitHub App whose client ID or app ID is its 'iss' ({issuer}), and that "
    "the key has not been deleted from the app's settings."
)
APP_JWT_CLOCK = (
    "GitHub rejected the times of the app JWT from {inputs[app-jwt]} (HTTP 401: {github_message}). GitHub's "
    "clock is {offset} s {direction} this runner's, and a JWT signed elsewhere cannot be signed again "
    "here. Sign it on GitHub's time: 'iat' 60 s in the past and 'exp' at most 10 minutes ahead, on a "
    "machine whose clock is synchronised (NTP)."
)
APP_JWT_TIMES = (
    "GitHub rejected the times of the app JWT from {inputs[app-jwt]} (HTTP 401: {github_message}), though "
    "GitHub's clock and this runner's agree ({offset} s apart): the JWT was signed with wrong times, not "
    "with a wrong key. Check the signing step's 'iat' (60 s in the past) and 'exp' (at most 10 minutes "
    "ahead, as whole seconds since the epoch) and the clock of the machine that signs it."
)

# --- Private key --------------------------------------------------------------------
KEY_HELP = (
    " Give the whole .pem file downloaded from the GitHub App's settings page (Private keys > "
    "Generate a private key), including its -----BEGIN and -----END lines."
)
KEY_IS_PUBLIC = "{inputs[private-key]} holds a public key, not a private key." + KEY_HELP
KEY_IS_OPENSSH = (
    "{inputs[private-key]} holds an OpenSSH key (-----BEGIN OPENSSH PRIVATE KEY-----); GitHub Apps use PEM RSA keys."
    + KEY_HELP
)
KEY_IS_CERTIFICATE = "{inputs[private-key]} holds a certificate, not a private key." + KEY_HELP
KEY_IS_ENCRYPTED = (
    "{inputs[private-key]} is encrypted with a passphrase; the key is needed as GitHub issued it, "
    "unencrypted." + KEY_HELP
)
KEY_NOT_RSA = "{inputs[private-key]} is {article} {kind} key; GitHub App keys are RSA keys." + KEY_HELP
KEY_IS_BASE64 = "{inputs[private-key]} looks like base64 text without PEM header lines, not a PEM key." + KEY_HELP
KEY_NOT_PEM = "{inputs[private-key]} is not a PEM private key (it has no -----BEGIN line)." + KEY_HELP
KEY_UNKNOWN_PEM = "{inputs[private-key]} holds a PEM block of type '{label}', not an RSA private key." + KEY_HELP
KEY_IS_PATH = "{inputs[private-key]} holds a file path ('{path}'), not the key itself: {inputs[key-path-fix]}"
KEY_DAMAGED = (
    "{inputs[private-key]} looks like a PEM RSA private key, but it could not be read: it may be "
    "truncated or altered." + KEY_HELP
)

# --- GitHub's answers -----------------------------------------------------------------
UNAUTHORIZED = (
    "GitHub rejected the app's credentials (HTTP 401: {github_message}). Check that {issuer_input} "
    "({issuer}) and {inputs[private-key]} belong to the same GitHub App, and that the key has not been "
    "deleted from the app's settings."
)
INSTALLATION_NOT_FOUND = "The GitHub App is not installed on {where} (HTTP 404 from {path}). {fix}"
INSTALLED_BUT_NOT_SELECTED = (
    "The app is installed on '{owner}', but that installation cannot access '{repository}' (or it "
    "does not exist): add the repository to the installation's repository access at {url}."
)
INSTALLED_ELSEWHERE = "It is installed on {count} account(s): {accounts}."
DID_YOU_MEAN = " Did you mean '{owner}'?"
NOT_INSTALLED_ANYWHERE = "It is not installed on any account yet."
INSTALLATION_SUSPENDED = (
    "The installation on '{owner}' (installation {id}) is suspended since {when}{by}, so GitHub gives "
    "it no tokens; no token was asked for. An owner of '{owner}' can unsuspend it at {url} (Unsuspend); "
    "if the app's owner suspended it, only they can, from the app's Advanced settings."
)
PERMISSIONS_NOT_GRANTED = (
    "The installation on '{owner}' was not granted what {inputs[this-step]} asks for ({missing}); no token was "
    "asked for. Fix it in two places: give the app these permissions (Settings > Developer settings > "
    "GitHub Apps > {app} > Permissions & events), then have each installation approve them: an owner of "
    "'{owner}' accepts the new permissions at {url}. Or ask for less {inputs[ask-for-less]}."
)
UNKNOWN_APP = (
    "GitHub knows no GitHub App whose ID is {issuer} from {issuer_input} (HTTP {status}: {github_message}). "
    "Copy the client ID (or the app ID) from the app's settings page (Settings > Developer settings > "
    "GitHub Apps > the app > General)."
)
JWT_TIMES_REJECTED = (
    "GitHub rejected the app JWT's times (HTTP 401: {github_message}), although its Date header says "
    "its clock and this runner's agree ({offset} s apart), so signing again on GitHub's time could not "
    "help. The key is not the problem: the JWT's 'iat' and 'exp' claims are. Check this runner's "
    "clock (NTP; a clock that jumps, e.g. a virtual machine resumed from a snapshot) and run the job "
    "again; if it persists, something between this runner and GitHub (a proxy) may answer with its "
    "own Date header."
)
KEY_FINGERPRINT = (
    "The key given has the fingerprint {fingerprint}; the app's settings page lists the fingerprint of "
    "each of its keys under Private keys: if none matches, this is not one of the app's keys."
)
CLOCK_CORRECTED = (
    "This runner's clock is {seconds} s {direction} GitHub's: the app JWT was signed again on GitHub's "
    "time, which worked this time. Fix the runner's time (NTP); GitHub refuses app JWTs whose times "
    "are off by more than a few minutes."
)
INSTALLATION_NOT_FOUND_REPO = (
    "the repository '{owner}/{repository}', or that repository does not exist or is not among "
    "the repositories the installation can access"
)
INSTALLATION_NOT_FOUND_OWNER = "the account '{owner}'"
INSTALL_FIX_WITH_SLUG = "Install it, or add the repository to its installation, at {url}."
INSTALL_FIX_NO_SLUG = (
    "Install the app on that account, or add the repository to its installation, from the app's "
    "public page (Settings > Developer settings > GitHub Apps > the app > Install App)."
)
CREATE_REFUSED = (
    "GitHub refused to create the token (HTTP {status}: {github_message}). Asked for "
    "repositories: {repositories}; permissions: {permissions}. Check that the installation on "
    "'{owner}' can access each repository and that the app has been granted each permission "
    "at that level (app settings > Permissions, then accept the new permissions on the "
    "installation)."
)
RESENT = (
    "{method} {path} was sent again after {why}: had GitHub carried out the lost attempt, a token it "
    "created then was never received, is held by nobody, and expires within the hour."
)
GITHUB_ERROR = "GitHub answered {method} {path} with HTTP {status}: {github_message}."
RATE_LIMITED = (
    "GitHub's rate limit stopped {method} {path} (HTTP {status}: {github_message}), longer than {inputs[this-step]} "
    "can wait: {limit}. Try again after that, or spread the jobs that mint tokens "
    "(a smaller matrix max-parallel, or fewer owners at once)."
)
NETWORK_ERROR = "Could not reach GitHub at {url}: {reason}. Check {inputs[github-api-url]} and the network."
BAD_RESPONSE = "GitHub answered {method} {path} with a response the action cannot read: {reason}."
UNEXPECTED = "Unexpected internal error ({kind}). This is a bug in the action; please report it with the step's log."

BOT_IDENTITY_NO_SLUG = (
    "{inputs[bot-identity]} is true, but the app's slug is unknown because {inputs[installation-id]} skipped the "
    "lookup; the bot-name, bot-user-id and bot-email outputs are empty."
)
BOT_LOOKUP_FAILED = (
    "Could not look up the app's bot user '{login}' ({reason}); the bot-user-id and bot-email outputs are empty."
)

OWNERS_FAILED = "Could not create the tokens for {owners} ({failed} of {total} owners). {reasons}"
OTHERS_REVOKED = "The tokens already created for the other owners were revoked at once: none is left valid."
OTHERS_NOT_REVOKED = (
    "The tokens already created for the other owners were revoked, except for {owners}, whose revoke "
    "failed too; they expire within the hour."
)

MASK_FAILED = "A token was created, but it could not be masked in the log ({kind}), {what}: no token was handed over."
DISCARDED = "The step failed after the token was created, so the token was revoked at once."
DISCARD_FAILED = "The step failed after the token was created, and revoking it failed too; it expires within the hour."

CANCELLED = "The step was cancelled ({signal}) before it finished."
CANCELLED_NONE = "No token had been created."
CANCELLED_REVOKED = "The {count} token(s) created were revoked: none was handed over or left valid."
CANCELLED_NOT_REVOKED = (
    "Of the {count} token(s) created, {failed} could not be revoked; they expire within the hour "
    "(nobody holds them: none was handed over)."
)

# --- Post step ------------------------------------------------------------------------
POST_SKIPPED = "'skip-token-revoke' is true: the token was not revoked; it expires at {expires_at}."
POST_NO_TOKEN = "No token was saved by the main step, so there is nothing to revoke."  # noqa: S105 - a message, not a password
POST_EXPIRED = "The token expired at {expires_at}; nothing to revoke."
POST_REVOKED = "Revoked the installation access token."
POST_REVOKED_ONE = "Revoked the installation access token for '{owner}' (it would have expired at {expires_at})."
POST_REVOKE_FAILED = (
    "Could not revoke the installation access token ({reason}). It stays valid until it expires at {expires_at}."
)
POST_EXPIRED_OR_REVOKED = (
    "The token was already revoked or expired (GitHub answered HTTP 401: {github_message}); nothing to revoke."
)
