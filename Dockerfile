# The action's image. BASE_IMAGE is pinned by digest; tests substitute a local stand-in.
ARG BASE_IMAGE=python:3.13-slim@sha256:7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b
FROM ${BASE_IMAGE}

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

# Runtime dependencies, hash-pinned, wheels only (no compiler needed or left behind).
COPY requirements.txt /action/requirements.txt
RUN python3 -m pip install --no-cache-dir --require-hashes --only-binary=:all: -r /action/requirements.txt

COPY entrypoint.py /action/entrypoint.py
COPY src/ /action/src/
# Bytecode is compiled now: at run time nothing may write it. /action/post is the post step.
RUN chmod 0755 /action/entrypoint.py \
    && ln -s entrypoint.py /action/post \
    && python3 -m compileall -q -j 0 /action/src "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

# No USER: the runner needs root. Exec form, absolute path: hyphenated INPUT_ variables survive.
ENTRYPOINT ["/usr/local/bin/python3", "-I", "/action/entrypoint.py"]
