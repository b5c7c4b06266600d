"""github-app-token: mint a GitHub App installation access token and revoke it afterwards.

The package is imported by the action's container entrypoint. Importing it does no
work, so each stage pays only for the modules it uses.
"""

# A release's version, written here by the release workflow (scripts/release_version.py); on main,
# an unreleased source says so. pyproject.toml, the wheel, an editable install and the image all read it.
__version__ = "0.0.0+unreleased"
