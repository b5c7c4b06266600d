"""The emulator's web side behaves as GitHub documents the manifest flow (tests/github_web.py)."""

from __future__ import annotations

import base64
import html
import json

import pytest
import requests
from nacl.public import PublicKey, SealedBox

from tests.setup_world import World

MANIFEST: dict[str, object] = {
    "name": "docs bot",
    "url": "https://example.com",
    "redirect_url": "http://127.0.0.1:9/callback",
}


def create(world: World, manifest: dict[str, object], where: str = "/settings/apps/new") -> requests.Response:
    page = requests.post(f"{world.web.root}{where}?state=s1", data={"manifest": json.dumps(manifest)}, timeout=5)
    if page.status_code != 200:
        return page
    return requests.post(
        f"{world.web.root}{where}/create?state=s1",
        data={"manifest": json.dumps(manifest), "name": str(manifest["name"])},
        allow_redirects=False,
        timeout=5,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hook_attributes": {"active": False}}, '"url" wasn\'t supplied'),
        ({"url": ""}, '"url" wasn\'t supplied'),
        ({"name": "x" * 35}, "Name is too long (maximum is 34 characters)"),
        ({"default_permissions": {"contents": "admin"}}, "is not a valid permission"),
    ],
)
def test_the_creation_page_checks_the_manifest(world: World, change: dict[str, object], message: str) -> None:
    answer = create(world, {**MANIFEST, **change})
    assert answer.status_code == 422 and message in html.unescape(answer.text)
    assert world.created == []


def test_an_app_for_a_user_redirects_with_a_code_good_once_for_an_hour(world: World) -> None:
    answer = create(world, MANIFEST)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("http://127.0.0.1:9/callback?code=") and location.endswith("&state=s1")
    code = location.split("code=")[1].split("&")[0]
    (app,) = world.created
    assert app.owner.login == "octocat" and app.permissions == {"metadata": "read"}
    converted = requests.post(f"{world.emulator.url}/app-manifests/{code}/conversions", timeout=5)
    assert converted.status_code == 201
    body = converted.json()
    assert body["id"] == app.id and body["pem"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert body["client_secret"] and body["webhook_secret"] is None
    again = requests.post(f"{world.emulator.url}/app-manifests/{code}/conversions", timeout=5)
    assert again.status_code == 404
    later = create(world, {**MANIFEST, "name": "later bot"})
    late_code = later.headers["Location"].split("code=")[1].split("&")[0]
    world.emulator.clock_offset = 3601
    assert requests.post(f"{world.emulator.url}/app-manifests/{late_code}/conversions", timeout=5).status_code == 404


def test_an_organizations_app_needs_an_admin(world: World) -> None:
    assert create(world, MANIFEST, "/organizations/stranger-org/settings/apps/new").status_code == 404
    created = create(world, MANIFEST, "/organizations/octo-org/settings/apps/new")
    assert created.status_code == 302
    (app,) = world.created
    assert app.owner.login == "octo-org"
    # Private: installable only on its owner.
    page = requests.get(f"{world.web.root}/apps/{app.slug}/installations/new", timeout=5)
    assert "account-octo-org" in page.text and "account-octocat" not in page.text


def test_secrets_are_sealed_for_the_repositorys_key_and_need_the_scope(world: World) -> None:
    token = world.web.add_user_token("octocat", {"repo"})
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{world.emulator.url}/repos/octo-org/app/actions/secrets"
    key = requests.get(url + "/public-key", headers=headers, timeout=5).json()
    sealed = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(b"value")
    body = {"encrypted_value": base64.b64encode(sealed).decode(), "key_id": key["key_id"]}
    assert requests.put(url + "/MY_SECRET", json=body, headers=headers, timeout=5).status_code == 201
    assert requests.put(url + "/MY_SECRET", json=body, headers=headers, timeout=5).status_code == 204
    assert world.web.secret("/repos/octo-org/app", "MY_SECRET") == "value"
    other = world.web.add_user_token("octocat", {"workflow"})
    refused = requests.get(url + "/public-key", headers={"Authorization": f"Bearer {other}"}, timeout=5)
    assert refused.status_code == 404
    user = requests.get(f"{world.emulator.url}/user", headers=headers, timeout=5)
    assert user.headers["X-OAuth-Scopes"] == "repo" and user.json()["login"] == "octocat"
    fine = world.web.add_user_token("octocat", None, {"secrets": "read"})
    fine_user = requests.get(f"{world.emulator.url}/user", headers={"Authorization": f"Bearer {fine}"}, timeout=5)
    assert "X-OAuth-Scopes" not in fine_user.headers
