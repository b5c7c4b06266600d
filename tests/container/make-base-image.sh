#!/usr/bin/env bash
# Make a local stand-in for the python:3.13-slim base image (no image registry is reachable here).
#
# Like the official image (python:3.13-slim is Debian trixie): a minimal Debian trixie root
# (debootstrap, with ca-certificates, netbase, tzdata and CPython's runtime libraries, trixie's
# package names) and a CPython 3.13 build under /usr/local. The CPython is this machine's own build
# (pyenv's 3.13), copied without its test suite and third-party packages, so nothing is compiled
# here. The host's CA bundle replaces Debian's, because TLS to the package registries is
# intercepted by a CA only the host trusts; PIP_CERT points pip at it inside `docker build`.
#
# Usage: make-base-image.sh TAG   (does nothing when the image TAG exists already)
# Environment: PYTHON_HOME (default: pyenv's 3.13), DEBIAN_MIRROR, CACHE_DIR.
set -euo pipefail
tag=${1:?usage: make-base-image.sh TAG}
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag exists"
  exit 0
fi
python_home=${PYTHON_HOME:-$(ls -d /root/.pyenv/versions/3.13.* 2>/dev/null | sort -V | tail -n 1)}
[ -x "$python_home/bin/python3.13" ] || { echo "no CPython 3.13 build found (set PYTHON_HOME)" >&2; exit 1; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${CACHE_DIR:-/var/cache/github-app-token}
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

# What the official image has besides CPython: certificates, netbase, tzdata and the shared
# libraries CPython's extension modules link against.
packages=ca-certificates,netbase,tzdata,libssl3t64,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,zlib1g,libuuid1,libncursesw6,libreadline8t64,libgdbm6t64,libexpat1
tarball="$cache/trixie-minbase-$(cat "$0" | sha256sum | cut -c1-12).tar"  # remade when this recipe changes
if [ ! -s "$tarball" ]; then
  debootstrap --variant=minbase --include="$packages" trixie "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  # As Debian's slim images: no documentation, manuals or translations, but each package's copyright.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  find "$root"/usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
else
  mkdir -p "$root" && tar -C "$root" -xf "$tarball"
fi

# CPython under /usr/local, as the official image installs it.
version=$("$python_home/bin/python3.13" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib" "$root/usr/local/include"
cp -a "$python_home/lib/libpython$version"*.so* "$root/usr/local/lib/"
cp -a "$python_home/include/." "$root/usr/local/include/"
tar -C "$python_home/lib" \
  --exclude="python$version/test" --exclude="python$version/idlelib" --exclude="python$version/tkinter" \
  --exclude="python$version/turtledemo" --exclude="python$version/site-packages" --exclude='__pycache__' \
  --exclude="python$version/config-*" -cf - "python$version" | tar -C "$root/usr/local/lib" -xf -
mkdir -p "$root/usr/local/lib/python$version/site-packages"
cp -a "$python_home/lib/python$version/site-packages/pip" "$root/usr/local/lib/python$version/site-packages/"
cp -a "$python_home/lib/python$version/site-packages/"pip-*.dist-info "$root/usr/local/lib/python$version/site-packages/"
cp -a "$python_home/bin/python$version" "$root/usr/local/bin/"
ln -sf "python$version" "$root/usr/local/bin/python3"
ln -sf python3 "$root/usr/local/bin/python"
printf '#!/usr/local/bin/python3\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n' > "$root/usr/local/bin/pip"
chmod 0755 "$root/usr/local/bin/pip" && ln -sf pip "$root/usr/local/bin/pip3"
# Stripped, as the official build links with --strip-all.
find "$root/usr/local" -type f \( -name '*.so' -o -name '*.so.*' -o -name "python$version" \) \
  -exec strip --strip-unneeded {} + 2>/dev/null || true
chroot "$root" /sbin/ldconfig
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
chroot "$root" /usr/local/bin/python3 -c 'import ssl, sqlite3, ctypes, zlib, lzma, bz2, uuid; print("python ok")'

tar -C "$root" -cf - . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV PYTHON_VERSION=$version" \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["python3"]' \
  - "$tag" >/dev/null
echo "made base image $tag"
