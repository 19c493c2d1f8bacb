"""Serve the app with the frontend built at image build time (Dockerfile, docker/entrypoint.sh).

`reflex run --env prod` compiles and builds the frontend on every start, which needs the package
registries and minutes. The image runs `reflex export --frontend-only` once while it is built; this
starts only the production backend, serving that build on the same port, as `reflex run
--env prod --single-port` does once its build is done.
"""

from __future__ import annotations

import sys

from reflex.config import get_config
from reflex.environment import environment
from reflex.utils import exec as reflex_exec
from reflex.utils import prerequisites
from reflex_base import constants

from mediafetcher_app.core.settings import get_settings


def main() -> None:
    built = prerequisites.get_web_dir() / constants.Dirs.STATIC
    if not (built / "index.html").exists():
        sys.exit(f"no built frontend in {built}: run `reflex export --frontend-only --no-zip` first")
    settings = get_settings()
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    config = get_config()
    level = config.loglevel.subprocess_level()
    reflex_exec.run_backend_prod(settings.host, settings.port, level, mount_frontend_compiled_app=True)


if __name__ == "__main__":
    main()
