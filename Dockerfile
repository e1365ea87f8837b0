# pillarwatch worker and simulator image. docs/deploy.md.
#
# Two stages: the build stage installs pillarwatch and its runtime dependencies into a virtual
# environment; the runtime stage copies only that environment onto a fresh slim base, so no
# pip cache, build tools or source tree ship. rocksdict has manylinux_2_28 wheels, which the
# Debian bookworm base (glibc 2.36) runs without a compiler.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/pillarwatch
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pillarwatch/ pillarwatch/
COPY streams/ streams/
COPY models/ models/
COPY dashboards/ dashboards/
# Not editable, not the dev extra: only what `pillarwatch worker` and `simulate` import.
RUN /opt/pillarwatch/bin/pip install ".[rocksdb]"

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="pillarwatch" \
      org.opencontainers.image.description="Streaming quality monitor for contact centres" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed non-root uid/gid so volume ownership is the same on every host. The two directories
# are volume mount points: Docker copies their ownership into a new empty named volume.
RUN groupadd --system --gid 10001 pillarwatch \
 && useradd --system --uid 10001 --gid pillarwatch --home-dir /var/lib/pillarwatch \
      --shell /usr/sbin/nologin pillarwatch \
 && install -d -o pillarwatch -g pillarwatch -m 0750 /var/lib/pillarwatch \
 && install -d -o pillarwatch -g pillarwatch -m 0755 /etc/pillarwatch/rendered
COPY --from=build /opt/pillarwatch /opt/pillarwatch
ENV PATH=/opt/pillarwatch/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PILLARWATCH_STORE=rocksdb:// \
    PILLARWATCH_DATA_DIR=/var/lib/pillarwatch
USER pillarwatch:pillarwatch
WORKDIR /var/lib/pillarwatch
# 6066: the worker's /metrics and /ready. 8090 and 8091: `pillarwatch ingest http` (webhooks,
# and its own /metrics), when the image runs the receiver (docker-compose.yml, profile ingest).
EXPOSE 6066 8090 8091
# /metrics answers once the web server is up; python is the only HTTP client in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os,urllib.request as u; u.urlopen('http://127.0.0.1:%s/metrics' % os.environ.get('PILLARWATCH_WEB_PORT', '6066'), timeout=4)"]
# Each replica locks its own state directory on the shared volume (pillarwatch/state_slot.py).
ENTRYPOINT ["python", "-m", "pillarwatch.state_slot", "/var/lib/pillarwatch", "--"]
CMD ["pillarwatch", "worker"]
