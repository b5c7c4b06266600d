"""The container tier: the real image, run as the runner runs a Docker action.

Two ways to the image, as users have them (fixtures in ``tests/docker_tier.py``):
- ``dockerfile``: built from the Dockerfile (``runs.image: Dockerfile``, as on ``main``);
- ``registry``: the released path. Pushed to a local reference registry, referred to by digest in
  action.yml by ``scripts/pin_image.py`` (``docker://127.0.0.1:PORT/...@sha256:...``), pulled,
  and run from that reference: nothing is built at job time.

The image has no shell, so it is inspected from outside: its file tree from ``docker export``,
its interpreter through ``--entrypoint /usr/local/bin/python3``.
Opt-in: runs when ``CI=true`` (as in ``.ci/run``) or ``CONTAINER_TESTS=1``.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import assert_exchanges_conform
from tests.docker_tier import docker
from tests.github_emulator import Fault, GitHubEmulator, generate_private_key, pem_pkcs1
from tests.runner_harness import ACTION, Job, StepResult, assert_no_leaks, assert_only_our_commands, jwts_seen

pytestmark = pytest.mark.container
PYTHON = "/usr/local/bin/python3"


@pytest.fixture(params=["dockerfile", "registry"])
def image(request: pytest.FixtureRequest) -> str:
    """The image, by each way users get it."""
    name = "action_image" if request.param == "dockerfile" else "released_image"
    return str(request.getfixturevalue(name))


def inspect(image: str, fmt: str) -> str:
    return docker("image", "inspect", "--format", fmt, image).stdout.strip()


def python_in(image: str, code: str) -> str:
    """Run ``code`` with the image's interpreter (there is no shell); return its standard output."""
    return docker("run", "--rm", "--entrypoint", PYTHON, image, "-I", "-c", code).stdout


def file_tree(image: str) -> dict[str, tarfile.TarInfo]:
    """Every path of the image's file system (without the files Docker adds to every container)."""
    container = docker("create", image).stdout.strip()
    try:
        exported = subprocess.run(["docker", "export", container], capture_output=True, check=True).stdout
    finally:
        docker("rm", container)
    with tarfile.open(fileobj=io.BytesIO(exported)) as archive:
        members = {"/" + member.name.rstrip("/"): member for member in archive.getmembers()}
    docker_adds = ("/.dockerenv", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/mtab", "/dev/", "/proc/")
    return {path: info for path, info in members.items() if not path.startswith(docker_adds)}


def assert_job_clean(emulator: GitHubEmulator, results: list[StepResult], key_pem: str) -> None:
    tokens, jwts = list(emulator.tokens), jwts_seen(emulator.exchanges)
    assert_no_leaks(results, tokens=tokens, jwts=jwts, private_key_pem=key_pem)
    assert_only_our_commands(results, tokens, jwts=jwts)
    assert_exchanges_conform(emulator)


# --- as the runner runs it ---------------------------------------------------------------------
@pytest.mark.parametrize("args", [[], ["post", "--help"]])
def test_main_and_post(image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path, args: list[str]) -> None:
    """``args``: runs.args / with: args reach every stage and change nothing."""
    job = Job(tmp_path, emulator.url, image=image)
    inputs = {"app-id": "4242", "private-key": app_key_pem, "repositories": "app,infra", "permission-contents": "read"}
    main = job.run("main", inputs, args=args)
    assert main.exit_code == 0, main.log
    token = main.outputs["token"]
    assert main.token_masks() == [token]
    # skipped: only when skipping; token-command: only with lifetime: job
    assert set(main.outputs) == set(ACTION["outputs"]) - {"skipped", "token-command"}
    assert main.state["token"] == token
    assert emulator.tokens[token].repositories == ["app", "infra"]
    post = job.run("post", inputs, state=main.state, args=args)
    assert post.exit_code == 0 and "Revoked the installation access token." in post.stdout
    assert emulator.tokens[token].revoked
    assert [e.method for e in emulator.exchanges] == ["GET", "POST", "DELETE"]
    assert_job_clean(emulator, [main, post], app_key_pem)
    assert list((tmp_path / "workspace").iterdir()) == []  # the container wrote nothing there


OTHER_KEY = pem_pkcs1(generate_private_key())

# Paths through code that a success does not take: each imports modules of its own
# (difflib, tempfile, the retry and clock-correction code, ...); all must be in the image.
SCENARIOS = {
    "public key": ({"private-key": "ssh-rsa AAAAB3NzaC1yc2E user@host"}, None, "holds a public key"),
    "unknown permission": ({"permission-content": "read"}, None, "Did you mean 'permission-contents'?"),
    "not installed": ({"owner": "stranger-org", "repositories": "secret"}, None, "not installed on"),
    "private CA as PEM text": ({"ca-bundle": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}, None, ""),
    "throttled, then served": ({}, Fault(method="POST", status=403, headers={"Retry-After": "0"}), ""),
    "server errors, then served": ({}, Fault(method="GET", status=502, times=2), ""),
    "clock an hour behind": ({}, Fault(action="clock", clock_offset=-3600, times=1), ""),
    "bot identity": ({"bot-identity": "true"}, None, ""),
    "several owners": ({"owner": "octo-org, octocat"}, None, ""),
    "one of several owners fails": ({"owner": "octo-org, stranger-org"}, None, "Could not create the tokens for"),
    "owner typo": ({"owner": "octo-orgg"}, None, "Did you mean 'octo-org'?"),
    "permission not granted": ({"permission-administration": "write"}, None, "not granted what this step asks"),
    "wrong key": ({"private-key": OTHER_KEY}, None, "The key given has the fingerprint SHA256:"),
    "no key": ({"private-key": ""}, None, "'private-key' is empty"),
}


def test_an_app_jwt_signed_elsewhere_and_skipping_without_credentials(
    image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path
) -> None:
    from github_app_token.app_jwt import AppAuth
    from github_app_token.private_key import load_private_key

    signed = AppAuth("4242", load_private_key(app_key_pem)).jwt()
    job = Job(tmp_path, emulator.url, image=image)
    main = job.run("main", {"app-jwt": signed, "owner": "octocat"})
    assert main.exit_code == 0, main.log
    assert main.stdout.splitlines()[0] == f"::add-mask::{signed}"
    skipped = job.run("main", {"private-key": "", "app-id": "4242", "skip-without-credentials": "true"})
    assert skipped.exit_code == 0 and skipped.outputs == {"skipped": "true"} and skipped.commands("notice")
    tokens = list(emulator.tokens)
    assert_no_leaks(
        [main, skipped], tokens=tokens, jwts=jwts_seen(emulator.exchanges), private_key_pem=app_key_pem, app_jwt=signed
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_paths_beyond_success(
    image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path, scenario: str
) -> None:
    extra, fault, error = SCENARIOS[scenario]
    if fault is not None:
        emulator.inject(fault)
    job = Job(tmp_path, emulator.url, image=image)
    inputs = {"app-id": "4242", "private-key": app_key_pem, **extra}
    main = job.run("main", inputs)
    assert "Traceback" not in main.log and "Unexpected internal error" not in main.log, main.log
    if error:
        assert main.exit_code == 1 and len(main.errors) == 1 and error in main.errors[0], main.log
        assert main.summary.startswith("### GitHub App installation token: the step failed")
        return
    assert main.exit_code == 0, main.log
    post = job.run("post", inputs, state=main.state)
    assert "Revoked" in post.stdout and all(issued.revoked for issued in emulator.tokens.values()), post.log
    assert_job_clean(emulator, [main, post], app_key_pem)


def test_skip_token_revoke(image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path) -> None:
    job = Job(tmp_path, emulator.url, image=image)
    inputs = {"app-id": "4242", "private-key": app_key_pem, "skip-token-revoke": "true"}
    main = job.run("main", inputs)
    expires_at = main.outputs["expires-at"]
    assert main.exit_code == 0 and main.state == {"expires-at": expires_at}  # no token saved: nothing to revoke
    post = job.run("post", inputs, state=main.state)
    assert f"'skip-token-revoke' is true: the token was not revoked; it expires at {expires_at}." in post.stdout
    assert not emulator.tokens[main.outputs["token"]].revoked


# --- nothing compiled or written at run time ------------------------------------------------------
def run_kept(job: Job, stage: str, inputs: dict[str, str], state: dict[str, str], extra: list[str]) -> str:
    """Run ``stage`` as the runner does, but keep the container; return its name."""
    env = job.runner_env(stage)
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    env.update({f"STATE_{k}": v for k, v in state.items()})
    argv, process_env = job.command(stage, env)
    name = f"gat-{uuid.uuid4().hex[:12]}"
    argv = [part for part in argv if part != "--rm"]
    argv[2:2] = ["--name", name, *extra]
    done = subprocess.run(argv, env=process_env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return name


@pytest.fixture
def kept() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        docker("rm", "-f", name, check=False)


def test_steps_leave_the_image_unchanged(
    image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path, kept: list[str]
) -> None:
    """No bytecode is written (none needs compiling) and nothing else: ``docker diff`` is empty."""
    job = Job(tmp_path, emulator.url, image=image)
    inputs = {"APP-ID": "4242", "PRIVATE-KEY": app_key_pem, "GITHUB-API-URL": emulator.url}
    kept.append(run_kept(job, "main", inputs, {}, []))
    state = {"token": next(iter(emulator.tokens)), "expires-at": "2099-01-01T00:00:00Z"}
    kept.append(run_kept(job, "post", inputs, state, []))
    mount_points = {*Job.MOUNTS.values(), "/github", "/var", "/var/run", "/var/run/docker.sock"}  # the runner's mounts
    for name in kept:
        changes = [line for line in docker("diff", name).stdout.splitlines() if line[2:] not in mount_points]
        assert changes == [], f"the step changed the image's files: {changes}"
    assert all(issued.revoked for issued in emulator.tokens.values())


def test_steps_run_on_a_read_only_root(
    image: str, emulator: GitHubEmulator, app_key_pem: str, tmp_path: Path, kept: list[str]
) -> None:
    job = Job(tmp_path, emulator.url, image=image)
    inputs = {"APP-ID": "4242", "PRIVATE-KEY": app_key_pem, "GITHUB-API-URL": emulator.url}
    kept.append(run_kept(job, "main", inputs, {}, ["--read-only"]))
    state = {"token": next(iter(emulator.tokens)), "expires-at": "2099-01-01T00:00:00Z"}
    kept.append(run_kept(job, "post", inputs, state, ["--read-only"]))
    assert all(issued.revoked for issued in emulator.tokens.values())


LOADERS = """
import sys
sys.path.insert(0, "/action/src")
import github_app_token.main, github_app_token.post, github_app_token.cli
from github_app_token.app_jwt import AppAuth
from github_app_token.github_api import GitHubAPI
from cryptography.hazmat.primitives.asymmetric import rsa
AppAuth("1", rsa.generate_private_key(public_exponent=65537, key_size=2048)).jwt()
GitHubAPI("https://api.github.com").close()
kinds = {}
for name, module in sorted(sys.modules.items()):
    origin = getattr(module, "__file__", None) or ""
    frozen = getattr(getattr(module, "__spec__", None), "origin", "") == "frozen"
    kind = origin.rpartition(".")[2] if origin and not frozen else "no file (built in, frozen, or made at run time)"
    kinds.setdefault(kind, []).append(name)
print(__import__("json").dumps(kinds))
"""


def test_every_module_is_loaded_from_bytecode(image: str) -> None:
    """Every imported module came from a .pyc (sourceless) or an extension: nothing was compiled."""
    kinds = json.loads(python_in(image, LOADERS))
    assert set(kinds) <= {"pyc", "so", "no file (built in, frozen, or made at run time)"}, kinds.keys()
    assert "github_app_token.main" in kinds["pyc"] and len(kinds["pyc"]) > 100
    assert "cryptography.hazmat.bindings._rust" in kinds["so"]


# --- what is in the image -------------------------------------------------------------------------
def test_image_config_is_as_the_runner_needs(image: str) -> None:
    assert inspect(image, "{{.Config.User}}") == ""  # root: the runner needs it
    assert json.loads(inspect(image, "{{json .Config.Entrypoint}}")) == [PYTHON, "-I", "/action/entrypoint.py"]
    assert inspect(image, "{{.Os}}/{{.Architecture}}").startswith("linux/")


def test_image_holds_only_what_the_action_executes(image: str) -> None:
    tree = file_tree(image)
    post = tree[ACTION["runs"]["post-entrypoint"]]
    assert post.issym() and post.linkname == "entrypoint.py"
    absent = ["/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/bin/gcc", "/usr/bin/cc"]
    assert [path for path in absent if path in tree] == []
    sources = [path for path in tree if path.endswith(".py")]
    assert sources == ["/action/entrypoint.py"]  # everything else is bytecode only
    assert not any("__pycache__" in path for path in tree)
    site = "/usr/local/lib/python3.13/site-packages/"
    for gone in ("pip", "setuptools", "pycparser", "cffi"):
        assert not any(path.startswith(site + gone + "/") for path in tree), gone
    assert any(path.startswith(site + "_cffi_backend") for path in tree)  # cryptography's Rust code imports it
    assert any(path.endswith("certifi/cacert.pem") for path in tree)
    assert not any(part in path.split("/") for path in tree for part in ("tests", "test", "docs", ".git"))
    assert tree["/tmp"].mode & 0o1777 == 0o1777
    # The CLI's setup command, and PyNaCl, which only it uses, are not the action's.
    assert "/action/src/github_app_token/cli/__init__.pyc" in tree
    assert not any(path.startswith("/action/src/github_app_token/setup") for path in tree)
    assert not any(path.startswith((site + "nacl", site + "pynacl", site + "PyNaCl")) for path in tree)


def test_setup_in_the_image_says_where_to_run_it(image: str) -> None:
    from github_app_token.cli.setup import NOT_IN_IMAGE

    code = (
        "import sys; sys.path.insert(0, '/action/src'); from github_app_token.cli import main; "
        "raise SystemExit(main(['setup', '--owner', 'my-org', '--store', 'my-org/website']))"
    )
    done = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", PYTHON, image, "-I", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {NOT_IN_IMAGE}\n")


def test_image_says_what_is_inside_and_under_which_licences(image: str) -> None:
    """For scanners and SBOM generators, and for the licences of what is redistributed."""
    tree = file_tree(image)
    site = "/usr/local/lib/python3.13/site-packages/"
    for distribution in ("cryptography", "pyjwt", "requests", "urllib3", "certifi", "idna", "charset_normalizer"):
        info = [path for path in tree if path.startswith(f"{site}{distribution}-") and path.endswith("/METADATA")]
        assert info, f"no .dist-info for {distribution}"
    assert any(path.startswith(f"{site}cryptography-") and "/licenses/" in path for path in tree)
    for package in ("libc6", "libssl3t64", "zlib1g"):
        assert f"/var/lib/dpkg/status.d/{package}" in tree, package
        assert f"/usr/share/doc/{package}/copyright" in tree, package
    assert "/usr/local/lib/python3.13/LICENSE.txt" in tree


def test_image_stays_within_its_size_budget(action_image: str) -> None:
    """16 MB compressed at most (docker save | gzip -6): an import that drags in a subsystem shows here."""
    save = subprocess.Popen(["docker", "save", action_image], stdout=subprocess.PIPE)
    assert save.stdout is not None
    compressed = len(gzip.compress(save.stdout.read(), compresslevel=6))
    save.wait()
    assert compressed <= 16_000_000, f"{compressed / 1e6:.1f} MB compressed"
