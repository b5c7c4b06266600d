"""User-facing messages, one constant each, so that wording is reviewed in one place.

Each error names what was wrong and how to fix it. Placeholders are filled with values
already escaped and shortened by the caller; no message ever receives a secret.
"""

# --- Inputs -------------------------------------------------------------------------
MISSING_APP_ID = (
    "Neither 'client-id' nor 'app-id' is set. Set 'client-id' (or 'app-id') to the ID shown on "
    "your GitHub App's settings page, e.g. client-id: ${{ vars.APP_CLIENT_ID }}."
)
BAD_APP_ID = "'app-id' must be the app's numeric ID, but it is '{value}'.{hint}"
BAD_CLIENT_ID = "'client-id' must be the app's client ID (letters, digits, '.', '_' or '-'), but it is '{value}'."
MISSING_PRIVATE_KEY = (
    "'private-key' is empty. Pass the GitHub App's private key from a secret, e.g. "
    "private-key: ${{ secrets.APP_PRIVATE_KEY }}; if it is set, check that the secret exists "
    "and is available to this workflow (secrets are not passed to workflows from forks)."
)
BAD_INSTALLATION_ID = (
    "'installation-id' must be the installation's numeric ID (the number at the end of the "
    "installation's settings URL), but it is '{value}'."
)
INSTALLATION_ID_NOT_FOUND = (
    "Installation {installation_id} from 'installation-id' does not exist or belongs to another app "
    "(HTTP 404). Check the ID, or leave 'installation-id' unset to look the installation up."
)
BAD_BOOLEAN = "'{name}' must be true or false, but it is '{value}'."
BAD_API_URL = (
    "'github-api-url' is not usable ({why}): '{value}'. Use the REST API URL, e.g. "
    "https://api.github.com or https://HOST/api/v3 for GitHub Enterprise Server."
)
BAD_OWNER = (
    "'{value}' from '{source}' is not a valid GitHub user or organization name "
    "(letters, digits and single hyphens, up to 100 characters)."
)
BAD_REPOSITORY = (
    "'{value}' from '{source}' is not a valid repository name: use the name ('repo') or "
    "'owner/repo', with letters, digits, '.', '-' or '_' only."
)
REPOSITORY_OF_OTHER_OWNER = (
    "Repository '{entry}' in 'repositories' belongs to another owner than '{owner}'. A token "
    "covers one installation, so list repositories of '{owner}' only (set 'owner' to change "
    "it), or use one step per owner."
)
TOO_MANY_REPOSITORIES = (
    "'repositories' lists {count} repositories, but a token can name at most {limit}. Leave "
    "'repositories' unset and set 'owner' to get every repository of the installation."
)
UNKNOWN_PERMISSION = (
    "'{input}' is not a GitHub App permission.{hint} The permission inputs are listed in the "
    "action's README and action.yml."
)
BAD_PERMISSION_LEVEL = "'{input}' must be one of: {allowed}; it is '{value}'."
ENTERPRISE_WITH_SCOPE = (
    "'enterprise' cannot be combined with 'owner' or 'repositories': an enterprise installation's "
    "token covers the enterprise, not repositories. Use one step for the enterprise and another for "
    "an owner's repositories."
)
MISSING_GITHUB_REPOSITORY = (
    "GITHUB_REPOSITORY is not set, so the current repository is unknown. Set 'owner' and/or "
    "'repositories' (GitHub Actions sets GITHUB_REPOSITORY on its own)."
)
MISSING_GITHUB_REPOSITORY_OWNER = (
    "GITHUB_REPOSITORY_OWNER is not set, so the owner of 'repositories' is unknown. Set 'owner' "
    "too (GitHub Actions sets GITHUB_REPOSITORY_OWNER on its own)."
)

BAD_CA_BUNDLE = (
    "'ca-bundle' starts like PEM text but holds no -----BEGIN CERTIFICATE----- block. Give the CA "
    "certificate(s) in PEM, or the path of a PEM file in the workspace."
)
CA_BUNDLE_NOT_FOUND = (
    "'ca-bundle' names '{value}', which is not a file. Give a path relative to the workspace (check "
    "out the repository first if the file is in it), an absolute path, or the PEM text itself."
)

# --- Private key --------------------------------------------------------------------
KEY_HELP = (
    " Paste the whole .pem file downloaded from the GitHub App's settings page (Private keys > "
    "Generate a private key), including its -----BEGIN and -----END lines."
)
KEY_IS_PUBLIC = "'private-key' holds a public key, not a private key." + KEY_HELP
KEY_IS_OPENSSH = (
    "'private-key' holds an OpenSSH key (-----BEGIN OPENSSH PRIVATE KEY-----); GitHub Apps use PEM RSA keys." + KEY_HELP
)
KEY_IS_CERTIFICATE = "'private-key' holds a certificate, not a private key." + KEY_HELP
KEY_IS_ENCRYPTED = (
    "'private-key' is encrypted with a passphrase; the action needs the key as GitHub issued it, "
    "unencrypted." + KEY_HELP
)
KEY_NOT_RSA = "'private-key' is a {kind} key; GitHub App keys are RSA keys." + KEY_HELP
KEY_IS_BASE64 = "'private-key' looks like base64 text without PEM header lines, not a PEM key." + KEY_HELP
KEY_NOT_PEM = "'private-key' is not a PEM private key (it has no -----BEGIN line)." + KEY_HELP
KEY_UNKNOWN_PEM = "'private-key' holds a PEM block of type '{label}', not an RSA private key." + KEY_HELP
KEY_DAMAGED = (
    "'private-key' looks like a PEM RSA private key, but it could not be read: it may be "
    "truncated or altered." + KEY_HELP
)

# --- GitHub's answers -----------------------------------------------------------------
UNAUTHORIZED = (
    "GitHub rejected the app's credentials (HTTP 401: {github_message}). Check that '{issuer_input}' "
    "({issuer}) and 'private-key' belong to the same GitHub App, and that the key has not been "
    "deleted from the app's settings."
)
INSTALLATION_NOT_FOUND = "The GitHub App is not installed on {where} (HTTP 404 from {path}). {fix}"
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
GITHUB_ERROR = "GitHub answered {method} {path} with HTTP {status}: {github_message}."
NETWORK_ERROR = "Could not reach GitHub at {url}: {reason}. Check 'github-api-url' and the network."
BAD_RESPONSE = "GitHub answered {method} {path} with a response the action cannot read: {reason}."
UNEXPECTED = "Unexpected internal error ({kind}). This is a bug in the action; please report it with the step's log."

BOT_IDENTITY_NO_SLUG = (
    "'bot-identity' is true, but the app's slug is unknown because 'installation-id' skipped the "
    "lookup; the bot-name, bot-user-id and bot-email outputs are empty."
)
BOT_LOOKUP_FAILED = (
    "Could not look up the app's bot user '{login}' ({reason}); the bot-user-id and bot-email outputs are empty."
)

DISCARDED = "The step failed after the token was created, so the token was revoked at once."
DISCARD_FAILED = "The step failed after the token was created, and revoking it failed too; it expires within the hour."

# --- Post step ------------------------------------------------------------------------
POST_SKIPPED = "'skip-token-revoke' is true: the token was not revoked; it expires at {expires_at}."
POST_NO_TOKEN = "No token was saved by the main step, so there is nothing to revoke."  # noqa: S105 - a message, not a password
POST_EXPIRED = "The token expired at {expires_at}; nothing to revoke."
POST_REVOKED = "Revoked the installation access token."
POST_REVOKE_FAILED = (
    "Could not revoke the installation access token ({reason}). It stays valid until it expires at {expires_at}."
)
POST_EXPIRED_OR_REVOKED = (
    "The token was already revoked or expired (GitHub answered HTTP 401: {github_message}); nothing to revoke."
)
