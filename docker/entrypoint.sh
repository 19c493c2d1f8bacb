#!/bin/sh
# Entry point of the MediaFetcher image (Dockerfile, compose.yaml).
#   app          migrations + first admin, then the web UI and API on one port ($PORT, default 3000)
#   worker       migrations + first admin, then an Arq worker (scale with --scale worker=N)
#   healthcheck  exits 0 when the app answers on $PORT (compose's healthcheck for `app`)
#   anything else is run as given, e.g. `docker compose run --rm app .venv/bin/python -m mediafetcher_app.cli ...`
# Migrations run under a PostgreSQL advisory lock, so app and workers starting together do not race.
set -eu
cd "$(dirname "$0")/.."

case "${1:-app}" in
  app)
    .venv/bin/python -m mediafetcher_app.cli migrate
    # As mediafetcher_app/launcher.py does for `make run`: Reflex's state lives in the same Redis.
    if [ -n "${REDIS_URL:-}" ]; then export REFLEX_REDIS_URL="${REFLEX_REDIS_URL:-$REDIS_URL}"; fi
    export GRANIAN_WORKERS="${GRANIAN_WORKERS:-${MF_APP_WORKERS:-1}}"
    exec .venv/bin/reflex run --env prod --single-port \
      --backend-port "${PORT:-3000}" --backend-host "${HOST:-0.0.0.0}"
    ;;
  worker)
    .venv/bin/python -m mediafetcher_app.cli migrate
    exec .venv/bin/arq worker.settings.WorkerSettings
    ;;
  healthcheck)
    exec .venv/bin/python -c "import os, urllib.request as u; \
u.urlopen('http://127.0.0.1:%s/ping' % os.environ.get('PORT', '3000'), timeout=5)"
    ;;
  *)
    exec "$@"
    ;;
esac
