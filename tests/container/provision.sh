#!/usr/bin/env bash
# Install what the container tier needs on a Debian machine: the Docker engine (docker.io),
# debootstrap (for the stand-in base image) and the reference registry (docker-registry, for the
# released docker:// path). Does nothing when all are present, or when not root (the tier then
# skips, saying why). The registry package's own service is not used: the tier starts one on
# 127.0.0.1 with its own configuration.
set -euo pipefail
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "container tier: cannot install ${need[*]} (needs root and apt-get); its tests will skip" >&2
  exit 0
fi
echo "container tier: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
