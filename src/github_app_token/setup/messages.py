"""What ``github-app-token setup`` says, one constant each (docs/setup.md's Troubleshooting covers every error).

Each error names the flag as typed, the cause and the fix. Placeholders get values already
shortened by the caller; none ever gets a secret (a key, a token, a code, the client secret).
"""

# ruff: noqa: S105 - names such as NO_USER_TOKEN are messages about tokens, not secrets

# --- options (before anything is asked or created) -----------------------------------------------
BAD_URL = "{flag} is not usable ({why}): '{value}'."
NAME_EMPTY = "--name is empty. Give the app a name of at most 34 characters, or leave --name out."
NAME_TOO_LONG = "--name '{name}' has {length} characters; GitHub allows at most {limit}. Give a shorter --name."
NAME_CHARACTERS = (
    "--name holds characters GitHub does not take in an app name: {characters}. Use letters, digits, "
    "spaces, '-', '_' and '.'."
)
NAME_NO_SLUG = "--name '{name}' has no ASCII letter or digit, so GitHub cannot make its slug. Add one."
BAD_TIMEOUT = "--timeout must be seconds, or a number with s, m or h (at most a day), e.g. 10m; not '{value}'."
BAD_PERMISSION_FORM = "--permission takes NAME=LEVEL (e.g. contents=write), not '{value}'."
UNKNOWN_PERMISSION = (
    "--permission '{name}' is not a GitHub App permission.{hint} The permissions are listed in the README's "
    "Inputs table (permission-NAME)."
)
BAD_LEVEL = "--permission {name} must be one of: {allowed}; not '{level}'."
BAD_STORED_NAME = (
    "{flag} '{value}' is not a valid secret or variable name: letters, digits and '_', not starting with a "
    "digit or with GITHUB_."
)
REPOSITORY_OF_OTHER_OWNER = (
    "--repositories names '{entry}', which is not a repository of --owner '{owner}'. The app is installed on "
    "one owner: give its repositories as names, and run setup again for another owner."
)
STORE_NOT_A_REPOSITORY = (
    "--store takes OWNER/REPO (e.g. my-org/website), not '{value}'; for an organization use --store-org."
)
NOTHING_TO_STORE = (
    "Nowhere to store the credentials: give --store OWNER/REPO (e.g. --store {owner}/REPO) or --store-org ORG."
)
VISIBILITY_WITHOUT_ORG = (
    "--visibility and --store-repositories are for --store-org; give --store-org ORG, or leave them out."
)
SELECTED_WITHOUT_REPOSITORIES = "--visibility selected needs --store-repositories (the repositories that may use them)."
REPOSITORIES_NOT_SELECTED = (
    "--store-repositories is only used with --visibility selected, not '{visibility}'. Leave out one of them."
)
EXISTING_NEEDS_ID = "--existing needs the app's --client-id (or --app-id) and --private-key-file."
EXISTING_NEEDS_KEY = "--existing needs the app's --private-key-file (the .pem file from the app's settings page)."
EXISTING_WITH_MANIFEST_OPTIONS = (
    "--name, --description, --homepage-url and --public describe a new app; with --existing they would be "
    "ignored. Leave them out (change an existing app on its settings page)."
)
ID_WITHOUT_EXISTING = "{flag} is for an app that exists: add --existing, or leave {flag} out to register a new app."
BAD_APP_ID = "--app-id must be the app's numeric ID, not '{value}' (a client ID goes in --client-id)."
BAD_CLIENT_ID = "--client-id must be the app's client ID (letters, digits, '.', '_', '-'), not '{value}'."
NO_PYNACL = (
    "PyNaCl, which seals the secrets, is not installed with this github-app-token: install it "
    "(pip install pynacl), or run pipx run github-app-token setup ..., which brings it."
)
KEY_DIR_NOT_WRITABLE = (
    "--key-dir '{path}' is not writable, so a key could not be kept there if a step failed. Give a directory of "
    "yours, or leave --key-dir out (the current directory)."
)
SECRET_IN_OPTION = (
    "{flag} holds what looks like a secret (a token, a key or a JWT), so it is not shown: give {flag} its own "
    "value. setup finds your user token in GH_TOKEN, GITHUB_TOKEN or `gh auth token`; a key goes in a file, "
    "with --existing --private-key-file."
)
KEY_FILE_UNREADABLE = "Cannot read --private-key-file '{path}': {reason}."
KEY_TEXT_NOT_A_PATH = (
    "--private-key-file takes a path, and this looks like the key itself (so it is not shown): save the key "
    "to a file only you can read, and give that file's path."
)

# --- the user token ------------------------------------------------------------------------------
NO_USER_TOKEN = (
    "No user token to store the credentials with: set {variables} to a token of yours for {host}, or install "
    "the GitHub CLI and run `gh auth login` (then `gh auth token` gives one)."
)
NO_USER_TOKEN_GH = (
    "No user token to store the credentials with: {variables} is not set and `gh auth token` gave none for "
    "{host}. Run `gh auth login --hostname {host}`, or set {variables}."
)
USER_TOKEN_REFUSED = (
    "GitHub refused the user token from {source} (HTTP {status}: {github_message}). Set {source} to a valid "
    "token for {host}, or unset it and run `gh auth login`."
)
MISSING_SCOPES = (
    "The user token from {source} lacks the scope {scopes}, which storing Actions secrets and variables "
    "there needs. {fix}"
)
FIX_GH_REFRESH = "Grant it with `{command}`, then run setup again."
FIX_ENV_TOKEN = (
    "Give {variable} a token with the {scopes} scope, or unset {variable} and use the GitHub CLI's: `{command}`."
)
OWNER_NOT_FOUND = "--owner '{owner}' is not a user or organization that this token can see. Check the spelling."
OWNER_NOT_AN_ACCOUNT = "--owner '{owner}' is a {type}, not a user or organization."
PRIVATE_APP_ELSEWHERE = (
    "--owner '{owner}' is another user's account, but the token is {login}'s: an app registered by {login} "
    "can be installed on '{owner}' only if it is public. Add --public, or run setup with {owner}'s token."
)
STORE_REPOSITORY_NOT_FOUND = (
    "--store-repositories names '{repository}', which does not exist or this token cannot see. Check the name."
)
STORE_NOT_ALLOWED = (
    "The user token ({login}) cannot read the Actions secrets' public key of {target} (HTTP {status}: "
    "{github_message}), so it could not store the key there. {fix}"
)
FIX_ADMIN_REPO = (
    "Check that {target} exists and that {login} may manage its secrets (admin or write access), or use "
    "another --store."
)
FIX_ADMIN_ORG = "Check that {login} is an owner of the {target} (only owners manage its secrets), or use --store."
FIX_FINE_GRAINED_REPO = (
    "Give the fine-grained token access to {target} with the repository permissions Secrets and Variables "
    "(read and write), or use a classic token with the repo scope."
)
FIX_FINE_GRAINED_ORG = (
    "Give the fine-grained token the organization permissions Secrets and Variables (read and write) for "
    "the {target}, or use a classic token with the admin:org scope."
)

# --- registering and installing ------------------------------------------------------------------
CALLBACK_TIMEOUT = (
    "GitHub did not send the browser back to {url} within {minutes}, so no app was registered by this run "
    "(if you did create one, delete it in your developer settings). Run setup again, with a longer --timeout "
    "if needed."
)
CONVERSION_FAILED = (
    "GitHub created the app but did not hand over its credentials: {problem} The app exists without a key "
    "you hold: generate a private key on its settings page ({url}), then run setup --existing with it."
)
WRONG_OWNER = (
    "GitHub registered the app '{name}' under the account '{got}', not '{expected}' as asked, so it was neither "
    "installed nor stored. Delete it on its settings page ({url}: Advanced, Delete GitHub App), then run setup "
    "again{again}."
)
FIX_SIGN_IN = " with the browser signed in to GitHub as {login}"
EXISTING_REFUSED = (
    "GitHub refused the app JWT signed for '{issuer}' with --private-key-file ({github_message}): the key "
    "does not belong to that app. Check --client-id (or --app-id) and --private-key-file."
)
APP_UNREADABLE = "GitHub's record of the app could not be read ({kind})."
INSTALL_TIMEOUT_NONE = (
    "The app was not installed on '{owner}' within {seconds} s. Install it (the page above), then finish with "
    "the command below."
)
INSTALL_TIMEOUT_MISSING = (
    "The installation on '{owner}' does not include {missing}. Add them on {url} (Repository access), then "
    "finish with the command below."
)
WAIT_MISSING = "  installed on {owner}, but without {missing}: add them on {url} (Repository access); still waiting"
WAIT_PROGRESS = "  still waiting ({elapsed} s of {timeout} s)"
WAIT_PROBLEM = "  GitHub could not be asked this time ({problem}); trying again"

# --- storing and proving -------------------------------------------------------------------------
STORE_FAILED = "Could not store the credentials in {target}: {problem}"

# --- interruptions, and nothing lost -------------------------------------------------------------
INTERRUPTED = "interrupted: nothing more was done."
UNEXPECTED = "unexpected {kind}; please report it"
KEY_SAVED = (
    "The app '{name}' (client ID {client_id}) exists, so its private key was saved to {path} (readable only "
    "by you). Finish the job with:\n  {command}\nthen delete the file."
)
KEY_NOT_SAVED = (
    "The app '{name}' exists, but its private key could not be saved ({reason}): generate a new one on its "
    "settings page (from {url}), then run setup --existing with it."
)
KEY_SAVED_WRONG_OWNER = (
    "Its private key was saved to {path} (readable only by you), in case you keep the app; delete the file "
    "once the app is deleted."
)
EXISTING_AGAIN = "Nothing was lost: fix the above and run the same command again."

# --- progress (not errors) -----------------------------------------------------------------------
STEP_CHECK = "Checks"
STEP_REGISTER = "Register the GitHub App"
STEP_REGISTER_SKIPPED = "Register the GitHub App: skipped (--existing)"
STEP_INSTALL = "Install it"
STEP_STORE = "Store the credentials for Actions"
STEP_PROVE = "Prove that a token can be minted"
TOKEN_FROM = "  user token: from {source}, {login}'s ({kind})"
CHECKED = "  owner: {owner} ({type}); places to store in: {targets}, each readable"
EXISTING_APP = "  app: {name} (app ID {id}, client ID {client_id})"
REGISTER_OPEN = "  Register '{name}' on {account}: open this page (opening it in your browser)"
REGISTER_WAIT = "  Waiting for GitHub to send the browser back (up to {minutes}; Ctrl-C stops, nothing is created)"
OPEN_YOURSELF = "  (no browser was opened: open the address above yourself)"
REGISTERED = "  created: {name} (app ID {id}, client ID {client_id}, owner {owner}) {url}"
ALREADY_INSTALLED = "  already installed on {owner} (installation {id}), covering what was asked"
INSTALL_OPEN = "  Install it on {owner} ({repositories}): open this page"
INSTALL_WAIT = "  Waiting for the installation (up to {minutes}; Ctrl-C stops, the key is kept)"
INSTALLED = "  installed on {owner}: installation {id} ({selection} repositories)"
STORED = "  {kind} {name} in {target}: {how}"
PROVED = "  minted a token for {owner} ({repositories}; {permissions}) with the stored credentials"
REVOKED = "  revoked it"
NOT_REVOKED = "  could not revoke it ({problem}); it expires at {expires_at}"
SUMMARY_TITLE = "Done."
WORKFLOW_STEP_INTRO = "Paste this step into a workflow (the token is in steps.app-token.outputs.token):"
ACTION_REFERENCE = "OWNER/github-app-token@v1"
#: The line above ``uses:``: the placeholder must not go unnoticed when the step is pasted.
ACTION_REFERENCE_NOTE = "# OWNER/github-app-token: this action's repository; pin it by commit SHA (@<sha> # v1)"

# --- the local pages -----------------------------------------------------------------------------
PAGE_FORM_TITLE = "Register a GitHub App"
PAGE_FORM_INTRO = (
    "github-app-token setup is ready to register this GitHub App. The button sends its manifest to GitHub, "
    "where you confirm with Create GitHub App."
)
PAGE_FORM_BUTTON = "Register it on GitHub"
PAGE_DONE_TITLE = "GitHub App created"
PAGE_DONE = "github-app-token has the app's credentials. Go back to the terminal: it opens the installation page next."
PAGE_USED_TITLE = "Already done"
PAGE_USED = "This registration has been completed; this address no longer does anything."
PAGE_STATE_TITLE = "Not this registration"
PAGE_STATE = "This answer does not belong to the registration the terminal started (the state does not match)."
PAGE_NO_CODE = "GitHub's answer holds no code."
PAGE_HOST_TITLE = "Misdirected request"
PAGE_HOST = "This server answers only at {url}/..., the address the terminal printed."
