#!/bin/sh
# Entry point of the MediaFetcher image (Dockerfile, compose.yaml).
#   app          migrations + first admin, then the web UI and API on one port ($PORT, default 3000),
#                serving the frontend built into the image (no registry needed at start)
#   worker       migrations + first admin, then an Arq worker (scale with --scale worker=N)
#   healthcheck  the image's HEALTHCHECK: the app answers on $PORT; a worker stamps its heartbeat
#   anything else is run as given, e.g. `docker compose run --rm app .venv/bin/python -m mediafetcher_app.cli ...`
# Migrations and the first admin run under a PostgreSQL advisory lock (core/bootstrap.py), so app
# and workers starting together in any order do not race.
set -eu
cd "$(dirname "$0")/.."
ROLE_FILE="${TMPDIR:-/tmp}/mediafetcher.role"

case "${1:-app}" in
  app)
    .venv/bin/python -m mediafetcher_app.cli migrate
    # As mediafetcher_app/launcher.py does for `make run`: Reflex's state lives in the same Redis.
    if [ -n "${REDIS_URL:-}" ]; then export REFLEX_REDIS_URL="${REFLEX_REDIS_URL:-$REDIS_URL}"; fi
    export GRANIAN_WORKERS="${GRANIAN_WORKERS:-${MF_APP_WORKERS:-1}}"
    echo app > "$ROLE_FILE"
    exec .venv/bin/python -m mediafetcher_app.serve_built
    ;;
  worker)
    .venv/bin/python -m mediafetcher_app.cli migrate
    echo worker > "$ROLE_FILE"
    exec .venv/bin/arq worker.main.WorkerSettings
    ;;
  healthcheck)
    if [ "$(cat "$ROLE_FILE" 2>/dev/null)" = worker ]; then
      exec .venv/bin/python -m worker.healthcheck
    fi
    exec .venv/bin/python -c "import os, urllib.request as u; \
u.urlopen('http://127.0.0.1:%s/ping' % os.environ.get('PORT', '3000'), timeout=5)"
    ;;
  *)
    exec "$@"
    ;;
esac
