# The action's image: built from the pinned python:3.13-slim, run from an empty image holding only
# what the action executes (image/rootfs.py). BASE_IMAGE is pinned by the digest of its
# multi-platform index (docs/releasing.md); tests substitute a local stand-in.
ARG BASE_IMAGE=python:3.13-slim@sha256:7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b

FROM ${BASE_IMAGE} AS build
# BuildKit's SBOM (release workflow) also scans this stage: the Debian and Python packages the
# final stage takes its files from.
ARG BUILDKIT_SBOM_SCAN_STAGE=true
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
# Runtime dependencies, hash-pinned, wheels only: no compiler is needed, on amd64 or arm64.
COPY requirements.txt /action/requirements.txt
RUN python3 -m pip install --no-cache-dir --require-hashes --only-binary=:all: -r /action/requirements.txt
COPY entrypoint.py /action/entrypoint.py
COPY src/ /action/src/
COPY image/rootfs.py /build/rootfs.py
# The interpreter, the modules the action imports (as bytecode only), their shared libraries;
# then a smoke test run inside that root. The build fails if anything the action needs is missing.
RUN python3 /build/rootfs.py /rootfs

# No shell, no package manager, no compiler: see docs/releasing.md for how to debug it.
FROM scratch
COPY --from=build /rootfs/ /
# No USER: the runner needs root. Exec form, absolute path: hyphenated INPUT_ variables survive.
ENTRYPOINT ["/usr/local/bin/python3", "-I", "/action/entrypoint.py"]
