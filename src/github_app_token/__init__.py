"""github-app-token: mint a GitHub App installation access token and revoke it afterwards.

The package is imported by the action's container entrypoint. Importing it does no
work, so each stage pays only for the modules it uses.
"""

__version__ = "0.1.0"
