#!/usr/bin/env python3
"""Assemble the action image's root file system: only what the action executes, as bytecode.

Runs in the Dockerfile's build stage (``python3 image/rootfs.py OUT``), on the base image's own
interpreter, after the hash-pinned requirements are installed. It writes into OUT:

- the interpreter (``/usr/local/bin/python3.X``, ``python3``) and ``libpython``;
- every module the action can import, found by the standard library's ``modulefinder`` from
  ``/action/entrypoint.py`` and the CLI (it follows every ``import`` statement, including those
  inside functions and ``try`` blocks, so error paths are covered), taken whole per top-level
  package (a package may import its own modules by name at run time), and the ``encodings``
  package, which the interpreter looks up by name; minus :data:`EXCLUDED`, modules some code
  names but the action never runs (each says why);
- each Python module as **bytecode only**: compiled here into a ``.pyc`` beside where its source
  was (the "sourceless" layout), and the source left out. The interpreter loads such a file
  without looking for a source, so nothing is ever compiled or written at run time;
- the extension modules among them, and every shared library they and the interpreter load (as
  ``ldd`` resolves them, with the dynamic loader), at the paths where they are now;
- the dynamic loader's cache for them (``ldconfig -r``; libpython is found through it), certifi's
  CA bundle (inside its package), an empty ``/tmp`` (mode 1777), and ``/action/post`` and
  ``/action/broker``, links to the entrypoint for the post step and the token broker;
- what says what all this is (:func:`metadata_files`, :func:`debian_packages`): the Python
  distributions' ``.dist-info`` with their licences, and the Debian packages' copyright files and
  dpkg status entries, so that image scanners and SBOM generators see every component.

The result has no shell, no package manager and no compiler. The build fails (exit 1) when the
entrypoint cannot import a module it needs.
"""

from __future__ import annotations

import compileall
import modulefinder
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ACTION = Path("/action")
ENTRYPOINT = ACTION / "entrypoint.py"
# The action's own modules, and the command-line tool (its imports are a superset of no stage).
ROOTS = ("github_app_token.main", "github_app_token.post", "github_app_token.cli", "github_app_token.broker.server")
# Imported at run time without an import statement modulefinder can see: the encodings are looked
# up by name (codecs.lookup), and cryptography's Rust extension imports _cffi_backend itself.
ALWAYS = ("encodings", "site", "_sitebuiltins", "_cffi_backend")
# Imported by some module, but never when the action runs; leaving them out keeps out what they
# pull in (pdb, unittest, asyncio, readline, curses, ctypes and their shared libraries):
EXCLUDED = {
    "doctest": "imported only by the self-tests of difflib, heapq and pickle (their _test functions)",
    "statistics": "imported only by random's self-test (random._test_generator)",
    "bz2": "imported by shutil, tarfile and zipfile inside try/except ImportError; no archive is read",
    "_bz2": "as bz2",
    "lzma": "as bz2",
    "_lzma": "as bz2",
    "_pyrepl": "the interactive console (site's interactive hook, pydoc); the action is never interactive",
    "readline": "as _pyrepl",
    "rlcompleter": "as _pyrepl",
    "pydoc": "interactive help (pdb, the console's help()); never called",
    "concurrent.futures.process": "ProcessPoolExecutor (with multiprocessing, ctypes, xml); owners use threads",
    "github_app_token.setup": "the CLI's setup command, run where a person works; in the image the CLI says so",
    "nacl": "PyNaCl, which only the setup command imports (and which requirements.txt does not install)",
}


def excluded(module: str) -> bool:
    """Whether ``module`` (a dotted name) is one of :data:`EXCLUDED` or inside one."""
    return any(module == name or module.startswith(name + ".") for name in EXCLUDED)


def module_files() -> set[Path]:
    """Every file of every top-level package or module the action can import."""
    site = sysconfig.get_paths()["purelib"]
    finder = modulefinder.ModuleFinder(path=[str(ACTION / "src"), site, *sys.path[1:]], excludes=list(EXCLUDED))
    finder.run_script(str(ENTRYPOINT))
    for name in (*ROOTS, *ALWAYS):
        finder.import_hook(name)
    tops: set[str] = {name.split(".")[0] for name in finder.modules if name != "__main__"}
    files: set[Path] = set()
    for top in sorted(tops):
        module = finder.modules.get(top)
        origin = getattr(module, "__file__", None)
        if not origin:
            continue  # built into the interpreter
        origin_path = Path(origin)
        if origin_path.name == "__init__.py":
            package = origin_path.parent
            for path in package.rglob("*"):
                inside = path.relative_to(package).parts[:-1]
                # A package's own test suite (certifi ships one) stays out unless something imports it.
                tests = any(part in ("tests", "test") for part in inside) and not any(
                    name.startswith(f"{top}.{'.'.join(inside)}") for name in finder.modules
                )
                # A subpackage in EXCLUDED stays out, though its package is taken whole.
                left_out = excluded(".".join((top, *inside)))
                if path.is_file() and "__pycache__" not in path.parts and not tests and not left_out:
                    files.add(path)
        else:
            files.add(origin_path)
    for top in ("cffi", "pycparser", "pip", "setuptools", "_distutils_hack"):
        if top in tops:
            print(f"note: {top} is imported by the action", file=sys.stderr)
    return files


def shared_libraries(elf_files: list[Path]) -> set[Path]:
    """The shared libraries (and the dynamic loader) the given ELF files load, resolved by ldd."""
    found: set[Path] = set()
    for elf in elf_files:
        listing = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, check=False).stdout
        for line in listing.splitlines():
            match = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
            if match:
                found.add(Path(match.group(1)))
    return found


def copy_file(source: Path, root: Path) -> None:
    """Copy ``source`` to the same path under ``root``, recreating every symbolic link on the way.

    A linked directory on the path (``/lib`` -> ``usr/lib`` in a merged-/usr Debian) becomes the
    same link under ``root``, and a linked file is copied as the link plus its target.
    """
    current = Path("/")
    parts = source.relative_to("/").parts
    for index, part in enumerate(parts):
        current = current / part
        target = root / current.relative_to("/")
        if current.is_symlink():
            if not target.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(os.readlink(current))
            copy_file(current.resolve().joinpath(*parts[index + 1 :]), root)
            return
    target = root / source.relative_to("/")
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def metadata_files(files: set[Path]) -> set[Path]:
    """What lets scanners and people know what is inside, and under which licences.

    For each Python distribution with a file in ``files``: its ``.dist-info`` (name, version,
    licence files). For each Debian package owning a file in ``files``: its copyright file, and
    its dpkg status entry written as ``/var/lib/dpkg/status.d/<package>`` (the layout image
    scanners read in images without a dpkg database). CPython's own licence.
    """
    from importlib import metadata

    found: set[Path] = set()
    for distribution in metadata.distributions():
        origin = Path(str(distribution.locate_file("")))
        owned = {origin / str(name) for name in distribution.files or ()}
        if owned & files:
            found |= {path for path in owned if ".dist-info" in str(path) and path.is_file()}
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    found |= {path for path in (stdlib / "LICENSE.txt",) if path.is_file()}
    return found


def debian_packages(files: set[Path]) -> dict[str, str]:
    """``{package: dpkg status entry}`` of the Debian packages that own any of ``files``."""
    real = sorted({str(path.resolve()) for path in files if not str(path).startswith("/usr/local/")})
    owners = subprocess.run(["dpkg", "-S", *real], capture_output=True, text=True, check=False).stdout
    packages = {line.split(":")[0] for line in owners.splitlines() if ": " in line}
    return {
        package: subprocess.run(["dpkg-query", "-s", package], capture_output=True, text=True, check=True).stdout
        for package in sorted(packages)
    }


def is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def main(argv: list[str]) -> int:
    root = Path(argv[1])
    python = Path(sys.executable).resolve()
    files = module_files()
    files |= {python, Path(sys.executable).parent / "python3", ENTRYPOINT}
    elves = [path for path in files if path.is_file() and not path.is_symlink() and is_elf(path)]
    libraries = shared_libraries(elves)  # libpython among them
    files |= libraries
    files |= metadata_files(files)
    packages = debian_packages(libraries)
    files |= {path for name in packages if (path := Path(f"/usr/share/doc/{name}/copyright")).is_file()}
    for path in sorted(files):
        if path.suffix in (".pyc", ".pyo"):
            continue
        copy_file(path, root)
    status = root / "var" / "lib" / "dpkg" / "status.d"
    status.mkdir(parents=True)
    for name, entry in packages.items():
        (status / name.replace(":", "_")).write_text(entry)
    # Bytecode in the sourceless layout (x.pyc beside where x.py was), then no source at all.
    # The entrypoint stays a script: the interpreter compiles a script it is given in memory.
    for directory in {root / "usr", root / "action" / "src"}:
        # stripdir/prependdir: the bytecode names the paths the files have in the image.
        if not compileall.compile_dir(
            str(directory), quiet=1, legacy=True, workers=0, stripdir=str(root), prependdir="/"
        ):
            print("compileall failed", file=sys.stderr)
            return 1
        for source in directory.rglob("*.py"):
            source.unlink()
    # The dynamic loader finds libpython (in /usr/local/lib) through its cache, as in the base image.
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "ld.so.conf").write_text("".join(sorted({f"{lib.parent}\n" for lib in libraries})))
    subprocess.run(["ldconfig", "-r", str(root)], check=True)
    (root / "action" / "post").symlink_to("entrypoint.py")
    (root / "action" / "broker").symlink_to("entrypoint.py")
    (root / "tmp").mkdir(mode=0o1777, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    return smoke_test(root)


#: Run inside the new root (chroot): what every step does, without the network.
SMOKE = """
import sys
sys.path.insert(0, "/action/src")
import github_app_token.main, github_app_token.post, github_app_token.cli
import github_app_token.broker.server, github_app_token.broker.launch, github_app_token.broker.stop
import docker, docker.types
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
from github_app_token.app_jwt import AppAuth
from github_app_token.github_api import GitHubAPI
from github_app_token.private_key import load_private_key
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                        serialization.NoEncryption()).decode()
assert AppAuth("1", load_private_key(pem)).jwt().count(".") == 2
api = GitHubAPI("https://api.github.com")
api.session.get_adapter("https://api.github.com").init_poolmanager(1, 1)
import ssl, tempfile, certifi
ssl.create_default_context(cafile=certifi.where())
tempfile.NamedTemporaryFile().close()
print("smoke test passed:", len(sys.modules), "modules")
"""


def smoke_test(root: Path) -> int:
    """Run :data:`SMOKE` with the new root's interpreter, chrooted into it; 0 when it passes."""
    done = subprocess.run(
        ["chroot", str(root), "/usr/local/bin/python3", "-I", "-c", SMOKE], capture_output=True, text=True, check=False
    )
    print(done.stdout.strip(), done.stderr.strip()[-2000:], sep="\n", file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
