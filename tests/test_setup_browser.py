"""``github-app-token setup`` end to end, as a person does it, in a real browser.

The installed command runs as a user runs it; its ``webbrowser`` opens each page through ``BROWSER``
(``tests/browser/opener.py``), which hands the URL to this test; the test opens it in Debian's
Chromium, driven by Selenium, and presses the pages' buttons: the local page's "Register it on
GitHub", the emulator's "Create GitHub App", then on the installation page "Only select
repositories", two repositories and "Install". It ends with the app's key stored (the emulator's
secret decrypts to it) and a token minted and revoked.

Screenshots of every page go to ``$SETUP_SCREENSHOTS_DIR`` (default: the test's temporary directory,
whose path the test prints), with the terminal transcript (``transcript.txt``).

Needs /usr/bin/chromium and /usr/bin/chromedriver (``tests/browser/provision.sh`` installs them,
which ``scripts/test`` runs when CI=true or BROWSER_TESTS=1). Without them the test skips, except
under CI=true or BROWSER_TESTS=1, where it fails: ``.ci/run`` must run it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.coverage_env import coverage_env
from tests.setup_world import World, assert_nothing_secret
from tests.test_setup import same_key

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
OPENER = Path(__file__).resolve().parent / "browser" / "opener.py"
COMMAND = shutil.which("github-app-token") or str(Path(sys.executable).parent / "github-app-token")
#: Chromium's flags for a closed network, as root (no sandbox), headless, with a fresh profile.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1000,900",
)


def _browser_available() -> str:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    return f"{' and '.join(missing)} not installed (tests/browser/provision.sh installs them)" if missing else ""


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[object]:
    why = _browser_available()
    if why:
        if os.environ.get("CI") == "true" or os.environ.get("BROWSER_TESTS") == "1":
            pytest.fail(f"the browser test must run here (CI=true or BROWSER_TESTS=1): {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def test_setup_in_a_real_browser(world: World, chromium: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(chromium, WebDriver)
    driver = chromium
    shots = Path(os.environ.get("SETUP_SCREENSHOTS_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots and transcript: {shots}")

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(120)  # a bound on a step that never comes, not a wait for anything
    port = listener.getsockname()[1]
    token = world.web.add_user_token("octocat", {"repo", "workflow"})
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "GH_ENTERPRISE_TOKEN": token,
        "BROWSER": f"{sys.executable} {OPENER} {port} %s",
        **coverage_env(),
    }
    root = world.web.root
    setup = subprocess.Popen(
        [
            COMMAND, "setup",
            "--owner", "octo-org", "--repositories", "app,infra", "--permission", "contents=write",
            "--permission", "pull-requests=read", "--name", "Octo Org website bot", "--store", "octo-org/app",
            "--github-url", root, "--api-url", world.emulator.url, "--key-dir", str(tmp_path / "keys"),
        ],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip

    def arrive(driver: Any, condition: Callable[[Any], bool]) -> None:
        """Wait for the page a click leads to (a click returns before it loads); bounded, not timed."""
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 60).until(condition)

    def next_url() -> str:
        connection, _ = listener.accept()
        with connection, connection.makefile() as lines:
            return lines.readline().strip()

    try:
        # 1. The local page: the app's name and permissions, and the button that posts the manifest.
        local = next_url()
        assert local.startswith("http://127.0.0.1:")
        driver.get(local)
        assert "Octo Org website bot" in driver.page_source
        driver.save_screenshot(str(shots / "1-local-page.png"))
        driver.find_element(By.ID, "register").click()
        # 2. GitHub's creation page for the organization (a click returns before the page loads).
        arrive(driver, lambda d: d.current_url.startswith(f"{root}/organizations/octo-org/settings/apps/new?state="))
        assert driver.find_element(By.ID, "name").get_attribute("value") == "Octo Org website bot"
        permissions = driver.find_element(By.ID, "permissions").text
        assert "contents: write" in permissions and "pull_requests: read" in permissions
        driver.save_screenshot(str(shots / "2-create-github-app.png"))
        driver.find_element(By.ID, "create").click()
        # 3. Back on the local page: GitHub redirected with the code and the state.
        arrive(driver, lambda d: d.current_url.startswith(local.rstrip("/") + "/callback?code="))
        assert "GitHub App created" in driver.page_source
        driver.save_screenshot(str(shots / "3-local-page-created.png"))
        # 4. The installation page, opened by the command, for octo-org.
        install = next_url()
        (app,) = world.created
        assert install.startswith(f"{root}/apps/{app.slug}/installations/new")
        driver.get(install)
        driver.find_element(By.ID, "selected").click()
        driver.find_element(By.ID, "repo-app").click()
        driver.find_element(By.ID, "repo-infra").click()
        driver.save_screenshot(str(shots / "4-install.png"))
        driver.find_element(By.ID, "install").click()
        arrive(driver, lambda d: bool(d.find_elements(By.ID, "installed")))
        assert "Installed on octo-org (app, infra)" in driver.find_element(By.ID, "installed").text
        driver.save_screenshot(str(shots / "5-installed.png"))
        stdout, stderr = setup.communicate(timeout=300)
    finally:
        listener.close()
        if setup.poll() is None:
            setup.kill()
            setup.communicate()
    (shots / "transcript.txt").write_text(stdout + stderr)
    assert setup.returncode == 0, stdout + stderr
    assert same_key(world.web.secret("/repos/octo-org/app", "APP_PRIVATE_KEY"), app.private_key)
    assert world.web.variables[("/repos/octo-org/app", "APP_CLIENT_ID")]["value"] == app.client_id
    inst = next(i for i in world.emulator.installations.values() if i.app is app)
    assert inst.repositories == ["app", "infra"]
    (minted,) = [t for t in world.emulator.tokens.values() if t.installation is inst]
    assert minted.revoked and minted.permissions == {"contents": "write", "pull_requests": "read"}
    assert_nothing_secret(world, stdout, stderr, driver.page_source)
    assert not (tmp_path / "keys").exists()  # nothing failed: no key file
