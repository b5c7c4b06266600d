"""``github-app-token installations``: list the app's installations (``GET /app/installations``, every page)."""

from __future__ import annotations

import argparse
import json

from .common import Context, add_api_options, add_app_options, command, make_api, to_inputs


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    installations = command(
        commands,
        "installations",
        "list the app's installations",
        "List the app's installations: id, account, account type and repository selection.",
    )
    add_app_options(installations)
    add_api_options(installations)
    installations.add_argument("--json", action="store_true", help="print the installations as JSON")
    installations.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ..core import signer_for
    from ..inputs import get_input, input_variable, parse_issuer

    env, names = to_inputs(args, ctx)
    app_jwt = get_input(env, "app-jwt")
    issuer = "" if app_jwt else parse_issuer(env, names)[0]
    who = signer_for(app_jwt, issuer, env.get(input_variable("private-key"), ""), names)
    api = make_api(env, names, ctx)
    try:
        found = api.list_installations(who)
    finally:
        api.close()
    if args.json:
        ctx.stdout.write(json.dumps([item._asdict() for item in found], indent=2) + "\n")
        return 0
    ctx.stdout.write(f"{'ID':>12}  {'ACCOUNT':<30} {'TYPE':<13} REPOSITORIES\n")
    for item in found:
        ctx.stdout.write(
            f"{item.id:>12}  {item.account_login:<30} {item.target_type:<13} {item.repository_selection}\n"
        )
    return 0
