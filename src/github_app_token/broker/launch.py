"""The main step's side of ``lifetime: job``: start the token broker, and tell later steps where it is.

The runner mounts the host's Docker socket into a Docker action's container (actions/runner,
``ContainerActionHandler``), and, since runner 2.329, the job's temp directory at
``/github/runner_temp``, which every later step of the job sees (host steps as ``$RUNNER_TEMP``, job
containers at their own path). The action finds its own container through the Docker API (the Docker
SDK for Python), and starts a sibling of the same image, detached, on the same network, with the
temp directory mounted, its credentials written on its standard input, and labels naming the run
and the job. nektos/act gives each container its own ``/tmp`` as ``RUNNER_TEMP``, but mounts the
job's ``/var/run/act`` volume everywhere: the broker lives there under act.

Where it cannot work (no Docker socket, an app JWT signed elsewhere, which cannot be signed again, a
runner that shares no directory with Docker actions), :class:`Unavailable` says why, in the words of
one warning (or one error, with ``lifetime-fallback: fail``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import socket
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ActionError
from .protocol import (
    BROKER_ROLE,
    DIRECTORY_LABEL,
    DIRECTORY_PREFIX,
    ERROR_FILE,
    LABEL,
    SOCKET,
    TOKEN_COMMAND,
    TOKEN_COMMAND_VARIABLE,
    Config,
    job_labels,
)
from .scripts import TOKEN_SCRIPT

if TYPE_CHECKING:
    from ..core import Minted, MintRequest
    from ..github_api import GitHubAPI

DOCKER_SOCKET = "/var/run/docker.sock"
#: This process's mount table, which tells its container.
MOUNTINFO = "/proc/self/mountinfo"
#: Where nektos/act mounts the job's volume for its file commands, in every container of the job.
ACT_VOLUME = "/var/run/act"
#: Seconds the main step waits for the broker to say it is ready.
READY_WITHIN = 30.0
#: Proxy and CA variables the broker needs to reach GitHub as the main step does.
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY")


class Unavailable(ActionError):
    """Job-long tokens cannot work here; ``str()`` says why (a clause: "the runner gave ...")."""


class Shared(NamedTuple):
    """A directory every later step of the job reaches.

    ``inside``: its path in this container (and in the broker's, and in the post step's);
    ``for_steps``: its path in the words later steps' ``GITHUB_ENV`` values are written in (the
    host path, which the runner translates for container steps; act's volume path, the same
    everywhere); ``source`` and ``kind``: what to mount into the broker (a ``bind`` of a host path,
    or a ``volume`` by name).
    """

    inside: str
    for_steps: str
    source: str
    kind: str


class Broker(NamedTuple):
    """A started broker: its container's ID, its directory (``Shared.inside`` terms) and the path
    later steps run for a token (``Shared.for_steps`` terms)."""

    container: str
    directory: str
    command: str


def own_container_id(mountinfo: str = MOUNTINFO) -> str:
    """This container's ID, from the mount table: Docker bind-mounts ``/etc/hostname`` from
    ``.../containers/<ID>/hostname``. "" when this process runs in no Docker container."""
    with contextlib.suppress(OSError), open(mountinfo, encoding="utf-8") as table:
        for line in table:
            for field in line.split():
                if "/containers/" in field and field.endswith("/hostname"):
                    return field.split("/containers/")[1].split("/")[0]
    return ""


def root_layer(mountinfo: str = MOUNTINFO) -> str:
    """Where this container's own files are on the host: the root mount's ``upperdir`` (overlay2),
    else its source directory (vfs). "" when unknown. Docker reports the same path in each
    container's ``GraphDriver.Data``, so it tells this container from one whose host name and
    network it shares (nektos/act runs actions in the job container's network: the ``/etc/hostname``
    they see is the job container's)."""
    with contextlib.suppress(OSError), open(mountinfo, encoding="utf-8") as table:
        for line in table:
            fields, _, rest = line.partition(" - ")
            parts = fields.split()
            if len(parts) > 4 and parts[4] == "/":
                for option in rest.split()[-1].split(","):
                    if option.startswith("upperdir="):
                        return option.removeprefix("upperdir=")
                return parts[3] if parts[3] != "/" else ""
    return ""


def find_own(client: Any, mountinfo: str = MOUNTINFO) -> Any:
    """This step's own container, through the Docker API (``client``): the one whose root layer is
    this process's (:func:`root_layer`), else the one named by ``/etc/hostname``'s mount
    (:func:`own_container_id`), both read in ``mountinfo``. Raises ``docker.errors.NotFound``, or
    another ``DockerException`` when the engine cannot be asked."""
    import docker.errors

    layer = root_layer(mountinfo)
    if layer:
        for candidate in client.containers.list():
            data = (candidate.attrs.get("GraphDriver") or {}).get("Data") or {}
            if layer in data.values():
                return candidate
    named = own_container_id(mountinfo)
    if not named:
        raise docker.errors.NotFound("no container of this engine is this step's")
    return client.containers.get(named)


def shared_directory(attrs: Mapping[str, Any], runner_temp: str) -> Shared | None:
    """The directory this container shares with the job's later steps (None when there is none)."""
    mounts = attrs.get("Mounts") or []
    for mount in mounts:
        if runner_temp and mount.get("Destination") == runner_temp and mount.get("Type") == "bind":
            return Shared(runner_temp, str(mount["Source"]), str(mount["Source"]), "bind")
    for mount in mounts:
        if mount.get("Destination") == ACT_VOLUME and mount.get("Type") == "volume":
            return Shared(ACT_VOLUME, ACT_VOLUME, str(mount["Name"]), "volume")
    return None


def check_possible(env: Mapping[str, str], app_jwt: str, mountinfo: str = MOUNTINFO) -> None:
    """Raise :class:`Unavailable` when what a broker needs is clearly missing (before any request):
    ``app_jwt`` given, no Docker container in ``mountinfo``, no Docker socket nor ``DOCKER_HOST``."""
    if app_jwt:
        raise Unavailable(
            "an app JWT signed elsewhere ('app-jwt') cannot be signed again, so no token can be minted after it expires"
        )
    if not own_container_id(mountinfo):
        raise Unavailable("this step does not run in a Docker container (only a Docker action's step can start one)")
    if not os.path.exists(DOCKER_SOCKET) and not env.get("DOCKER_HOST"):
        raise Unavailable(f"the runner gave this step no Docker socket ({DOCKER_SOCKET})")


def start(
    env: Mapping[str, str],
    request: MintRequest,
    minted: list[Minted],
    api: GitHubAPI,
    private_key: str,
    limit_minutes: int,
    mountinfo: str = MOUNTINFO,
) -> Broker:
    """Start the broker for ``minted`` (the first tokens, of ``request``'s scopes) and wait until it
    is ready; ``mountinfo`` tells this step's own container (:func:`find_own`). Raises
    :class:`Unavailable` (nothing started, or what was started is removed again)."""
    try:
        import docker
        import docker.errors
        from docker.types import Mount
    except ImportError:
        raise Unavailable("the Docker SDK is not installed here") from None
    try:
        client = docker.from_env(timeout=30)
        own = find_own(client, mountinfo)
    except docker.errors.DockerException as error:
        raise Unavailable(f"this step's own container could not be found through the Docker socket ({error})") from None
    shared = shared_directory(own.attrs, env.get("RUNNER_TEMP", ""))
    if shared is None:
        raise Unavailable(
            "this runner shares no directory with Docker actions' containers (the job's temp directory is mounted "
            "into them since actions/runner 2.329)"
        )
    try:
        directory, uid, gid = make_directory(shared.inside)
    except OSError as error:
        raise Unavailable(
            f"the broker's directory could not be made in {shared.inside} ({error.strerror or error})"
        ) from None
    config = build_config(env, request, minted, api, private_key, limit_minutes, directory, uid, gid)
    labels = {
        LABEL: BROKER_ROLE,
        f"{LABEL}.repository": env.get("GITHUB_REPOSITORY", ""),
        **job_labels(env),
        DIRECTORY_LABEL: directory,
    }
    mount = Mount(target=shared.inside, source=shared.source, type="volume" if shared.kind == "volume" else "bind")
    container = None
    try:
        container = client.containers.create(
            own.attrs["Image"],
            entrypoint=["/action/broker"],
            name=f"github-app-token-broker-{env.get('GITHUB_RUN_ID', 'local')}-{secrets.token_hex(4)}",
            labels=labels,
            mounts=[mount],
            network_mode=own.attrs["HostConfig"].get("NetworkMode") or "default",
            stdin_open=True,  # with the default detach=False, Docker closes it after the first attach (StdinOnce)
            auto_remove=True,
            read_only=True,
            tmpfs={"/tmp": "size=1m,mode=1777"},  # noqa: S108 - its own, in memory (the CA bundle)
            mem_limit="256m",
            environment={},
        )
        stream = container.attach_socket(params={"stdin": 1, "stream": 1})
        container.start()
        raw: Any = getattr(stream, "_sock", stream)
        raw.sendall(config._replace(container=str(container.id)).dumps())
        with contextlib.suppress(OSError):
            raw.shutdown(socket.SHUT_WR)
        stream.close()
    except (docker.errors.DockerException, OSError) as error:
        if container is not None:
            with contextlib.suppress(docker.errors.DockerException):
                container.remove(force=True)  # created, perhaps started: it holds its configuration
        shutil.rmtree(directory, ignore_errors=True)
        raise Unavailable(f"Docker refused to start the broker's container ({error})") from None
    broker = Broker(
        str(container.id), directory, os.path.join(shared.for_steps, os.path.basename(directory), TOKEN_COMMAND)
    )
    try:
        wait_until_ready(broker, client)
    except Unavailable:
        shutil.rmtree(directory, ignore_errors=True)  # a broker still there stops when it sees this
        raise
    return broker


def make_directory(shared: str) -> tuple[str, int, int]:
    """Make the broker's directory in ``shared`` (a fresh name, mode 0700) with the token script in
    it, and give both to the owner of ``shared`` (the runner's user): ``(directory, uid, gid)``.

    The directory becomes that user's only once its contents are in place, and the script is
    created anew (``O_EXCL``), never through a link (``O_NOFOLLOW``): nothing that user put there
    can make this step (root) write elsewhere. Raises OSError.
    """
    owner = os.stat(shared)
    directory = os.path.join(shared, DIRECTORY_PREFIX + secrets.token_hex(8))
    os.mkdir(directory, 0o700)
    descriptor = os.open(
        os.path.join(directory, TOKEN_COMMAND), os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_WRONLY, 0o700
    )
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(TOKEN_SCRIPT)
        handle.flush()
        os.fchmod(descriptor, 0o755)  # anyone may run it; what it asks for is guarded by the socket
        os.fchown(descriptor, owner.st_uid, owner.st_gid)
    os.chown(directory, owner.st_uid, owner.st_gid)  # last: its contents are in place
    return directory, owner.st_uid, owner.st_gid


def build_config(
    env: Mapping[str, str],
    request: MintRequest,
    minted: list[Minted],
    api: GitHubAPI,
    private_key: str,
    limit_minutes: int,
    directory: str,
    uid: int,
    gid: int,
) -> Config:
    """The broker's configuration: the same credentials, API, proxy, CA and clock as this step, and
    each owner's scope pinned to what its first token was granted (:func:`pinned_scope`)."""
    ca_bundle = ""
    if isinstance(api.verify, str) and os.path.isfile(api.verify):
        with open(api.verify, encoding="utf-8") as handle:
            ca_bundle = handle.read()
    return Config(
        credentials={"issuer": request.signer.issuer, "private_key": private_key},
        scopes=[pinned_scope(item) for item in minted],
        installation_ids={item.owner: item.installation.id for item in minted},
        tokens=[
            {"owner": item.owner, "token": item.token.token, "expires_at": item.token.expires_at} for item in minted
        ],
        api_url=api.base_url,
        ca_bundle=ca_bundle,
        proxies={name: env[name] for name in PROXY_VARIABLES if env.get(name)},
        clock_offset=request.signer.clock_offset or api.server_offset,
        deadline=time.time() + limit_minutes * 60,
        directory=directory,
        owner_uid=uid,
        owner_gid=gid,
    )


def pinned_scope(first: Minted) -> dict[str, Any]:
    """An owner's scope as the broker asks for it again (its JSON form in :class:`~.protocol.Config`):
    never more than the first token got, whatever the installation is granted later in the job.

    ``permissions``: the first token's, as GitHub granted them (all of the installation's at that
    moment when none were asked for; the ones asked for when GitHub's answer named none);
    ``repositories``: when the first token's ``repository_selection`` is ``selected``, the names of
    the repositories it covers, else the ones asked for (None: all of the installation's).
    Source: the ``installation-token`` answer of ``POST /app/installations/{id}/access_tokens``.
    """
    scope, token = first.scope, first.token
    repositories = scope.repositories
    if token.repository_selection == "selected" and token.repositories is not None:
        repositories = token.repositories
    return {
        "owner": scope.target.owner,
        "repository": scope.target.repository,
        "enterprise": scope.target.enterprise,
        "repositories": list(repositories) if repositories is not None else None,
        "repository_ids": list(scope.repository_ids),
        "permissions": dict(token.permissions or scope.permissions),
    }


def wait_until_ready(broker: Broker, client: Any) -> None:
    """Wait (at most :data:`READY_WITHIN` s) for the broker to answer ``/health``; Unavailable if it
    stopped (with the reason it wrote, also when it wrote it just before its container ended) or
    never answered (then it is killed: it holds no token the main step does not hold too)."""
    from .stop import ask

    deadline = time.monotonic() + READY_WITHIN
    error_file = os.path.join(broker.directory, ERROR_FILE)
    while time.monotonic() < deadline:
        if reason := written_reason(error_file):
            raise Unavailable(reason)
        with contextlib.suppress(OSError, ValueError):
            if ask(broker.directory, "GET", "/health", timeout=2).strip() == "ok":
                return
        if not running(client, broker.container):
            raise Unavailable(written_reason(error_file) or "the broker's container stopped before it was ready")
        time.sleep(0.1)
    with contextlib.suppress(Exception):
        client.containers.get(broker.container).kill()
    raise Unavailable(f"the broker did not answer within {READY_WITHIN:g} s")


def written_reason(error_file: str) -> str:
    """Why the broker could not start, as it wrote it (``ERROR_FILE``, written whole), as a clause; "" if none."""
    with contextlib.suppress(OSError), open(error_file, encoding="utf-8") as handle:
        return handle.read().strip().removeprefix("The broker ").rstrip(".")
    return ""


def running(client: Any, container_id: str) -> bool:
    import docker.errors

    try:
        return str(client.containers.get(container_id).status) in ("created", "running")
    except docker.errors.NotFound:
        return False


#: The job's own ``GIT_CONFIG_COUNT`` entries carried over to later steps, at most.
GIT_CONFIG_KEPT = 1000


def environment(broker: Broker, env: Mapping[str, str], server_url: str) -> dict[str, str]:
    """What later steps get through ``GITHUB_ENV``: the token command, and git's credential helper for
    the GitHub server, after the ``GIT_CONFIG_COUNT`` entries this step was given.

    Those entries (``GIT_CONFIG_KEY_<n>``, ``GIT_CONFIG_VALUE_<n>``, n < ``GIT_CONFIG_COUNT``, at
    most :data:`GIT_CONFIG_KEPT`) are written again, numbered from 0, before ours: a count set in
    this step's own ``env:`` would otherwise reach later steps without the entries it counts, and
    git refuses such a configuration ("missing config key"). An entry without its key is left out.

    The helper list for the server is reset first (an empty ``helper``), so that a helper set up
    earlier (``gh auth setup-git``, a stored password) does not answer with an older credential;
    ``useHttpPath`` makes git send the repository's path, whose owner picks the token.
    """
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    except ValueError:
        count = 0
    kept = [
        (env[f"GIT_CONFIG_KEY_{index}"], env.get(f"GIT_CONFIG_VALUE_{index}", ""))
        for index in range(max(0, min(count, GIT_CONFIG_KEPT)))
        if f"GIT_CONFIG_KEY_{index}" in env
    ]
    base = server_url.rstrip("/")
    ours = [
        (f"credential.{base}.helper", ""),
        (f"credential.{base}.helper", f'!"${TOKEN_COMMAND_VARIABLE}" git-credential'),
        (f"credential.{base}.useHttpPath", "true"),
    ]
    values = {TOKEN_COMMAND_VARIABLE: broker.command}
    for index, (key, value) in enumerate(kept + ours):
        values[f"GIT_CONFIG_KEY_{index}"] = key
        values[f"GIT_CONFIG_VALUE_{index}"] = value
    values["GIT_CONFIG_COUNT"] = str(len(kept) + len(ours))
    return values


def describe(broker: Broker) -> str:
    """The log line for a started broker (no secret in it)."""
    return (
        f"Started the token broker (container {broker.container[:12]}): later steps get a fresh token from "
        f"{shlex.quote(broker.command)} (${TOKEN_COMMAND_VARIABLE}), and git asks it for credentials."
    )


def refused(error: Unavailable, fallback: str, warn: Callable[[str], None]) -> None:
    """Apply ``lifetime-fallback``: warn and go on (``hour``), or fail the step (``fail``)."""
    from .. import messages

    if fallback == "fail":
        raise ActionError(messages.LIFETIME_REQUIRED.format(reason=str(error)))
    warn(messages.LIFETIME_UNAVAILABLE.format(reason=str(error)))


def possible(env: Mapping[str, str], app_jwt: str, fallback: str, warn: Callable[[str], None]) -> bool:
    """Before any request: can a broker run? False after the warning (or ActionError with ``fail``)."""
    try:
        check_possible(env, app_jwt)
    except Unavailable as error:
        refused(error, fallback, warn)
        return False
    return True


def begin(
    env: Mapping[str, str],
    request: MintRequest,
    minted: list[Minted],
    api: GitHubAPI,
    private_key: str,
    limit_minutes: int,
    fallback: str,
    warn: Callable[[str], None],
) -> Broker | None:
    """:func:`start`, with ``lifetime-fallback`` applied: None after the warning."""
    try:
        return start(env, request, minted, api, private_key, limit_minutes)
    except Unavailable as error:
        refused(error, fallback, warn)
        return None


__all__ = ["SOCKET", "Broker", "Shared", "Unavailable", "begin", "check_possible", "environment", "possible", "start"]
