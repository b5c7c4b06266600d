"""Validate recorded exchanges against GitHub's REST API description (vendored structure).

Source: ``data/github-api/operations.json`` (see its ``x-provenance``). Request bodies
are checked against each operation's ``requestBody`` schema, responses against the
schema of their status code, with OpenAPI 3.0 semantics (``nullable``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

from tests.github_emulator import Exchange

OPERATIONS = Path(__file__).resolve().parent.parent / "data" / "github-api" / "operations.json"


@cache
def operations() -> dict[str, Any]:
    paths: dict[str, Any] = json.loads(OPERATIONS.read_text())["paths"]
    return paths


def _json_schema(content: dict[str, Any] | None) -> dict[str, Any] | None:
    if not content:
        return None
    media = content.get("application/json")
    return media.get("schema") if media else None


def problems(exchange: Exchange) -> list[str]:
    """What in one exchange does not match the description ([] when all is well)."""
    if exchange.operation is None or exchange.status <= 0:
        return []
    if exchange.operation not in operations():
        return []  # an operation outside the vendored description (enterprise, users)
    operation = operations()[exchange.operation][exchange.method.lower()]
    found: list[str] = []
    request_schema = _json_schema((operation.get("requestBody") or {}).get("content"))
    # Request bodies are checked for the action's own requests; tests may send bad ones on purpose.
    ours = exchange.headers.get("User-Agent", "").startswith("github-app-token/")
    if exchange.body is not None and ours:
        if request_schema is None:
            found.append(f"{exchange.method} {exchange.operation}: a body was sent where none is described")
        else:
            found += [f"request: {e.message}" for e in OAS30Validator(request_schema).iter_errors(exchange.body)]
    responses = operation["responses"]
    spec = responses.get(str(exchange.status))
    if spec is None:
        # Statuses any operation may answer: errors, and rate limits (GitHub Docs, "Rate limits for the REST API");
        # 409 Conflict, which "Create a repository variable" answers for a name that exists (GitHub Docs,
        # "REST API endpoints for GitHub Actions variables"), though the description lists only 201.
        if exchange.status not in (400, 401, 403, 404, 409, 422, 429, 500):
            found.append(f"{exchange.method} {exchange.operation}: status {exchange.status} is not described")
        return found
    response_schema = _json_schema(spec.get("content"))
    if response_schema is not None:
        found += [
            f"response {exchange.status}: {e.message[:200]}"
            for e in OAS30Validator(response_schema).iter_errors(exchange.response_body)
        ]
    elif exchange.response_body is not None:
        found.append(f"{exchange.method} {exchange.operation}: body on a status described without one")
    return found
