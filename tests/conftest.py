"""Real PostgreSQL and Redis for every test (docs/ARCHITECTURE.md §9).

With DATABASE_URL/REDIS_URL set, a fresh database on that server and a dedicated Redis db are
used; unset, the embedded servers start in a temporary data directory. The environment is set in
``pytest_configure`` (before test modules import the app), migrations run once per session (the
"up from empty" path), and each test starts from empty tables and an empty Redis db.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from mediafetcher_app.core import embedded
from mediafetcher_app.core.settings import get_settings

TEST_REDIS_DB = 9
API_BASE = "http://mf.test"

# Fixtures shared across modules. pytest honours ``pytest_plugins`` only in the root conftest.
pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.pipeline",
    "tests.fixtures.sessions",
    "tests.fixtures.wheels",
]


@dataclass
class TestServices:
    data_dir: Path
    server_database_url: str
    database_url: str
    database_name: str
    redis_url: str
    embedded_postgres: bool
    embedded_redis: bool


_services: TestServices | None = None


def _admin_dsn(server_url: str) -> str:
    return make_url(server_url).set(drivername="postgresql", database="postgres").render_as_string(False)


def pytest_configure(config: pytest.Config) -> None:
    global _services
    if hasattr(config, "workerinput"):
        return
    data_dir = Path(tempfile.mkdtemp(prefix="mf-test-"))
    embedded_pg, embedded_redis = not os.environ.get("DATABASE_URL"), not os.environ.get("REDIS_URL")
    server_db = os.environ.get("DATABASE_URL") or embedded.ensure_postgres(data_dir)
    server_redis = os.environ.get("REDIS_URL") or embedded.ensure_redis(data_dir)
    name = f"mf_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(_admin_dsn(server_db), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database_url = make_url(server_db).set(drivername="postgresql+psycopg", database=name)
    redis_url = urlsplit(server_redis)._replace(path=f"/{TEST_REDIS_DB}").geturl()
    _services = TestServices(
        data_dir, server_db, database_url.render_as_string(False), name, redis_url, embedded_pg, embedded_redis
    )
    os.environ.update(
        MF_DATA_DIR=str(data_dir),
        DATABASE_URL=_services.database_url,
        REDIS_URL=redis_url,
        MF_SECRET_KEY="test-secret-key",
        REFLEX_TELEMETRY_ENABLED="false",
        YTDLP_NO_PLUGINS="1",
        # The fixture servers listen on 127.0.0.1, a private address: the suite allows LAN sources.
        # tests/test_security_egress.py turns the block on per test.
        MF_BLOCK_PRIVATE_URLS="false",
    )
    os.environ.pop("MF_MEDIA_ROOT", None)
    get_settings.cache_clear()

    from mediafetcher_app.core.bootstrap import ensure_directories
    from mediafetcher_app.core.migrations import upgrade_to_head

    ensure_directories(get_settings())
    upgrade_to_head()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running for the session,
    which asyncio tests collected after it could not start their own."""
    items.sort(key=lambda item: "/browser/" in str(item.path))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _services is None:
        return
    from mediafetcher_app.core.db import get_engine
    from mediafetcher_app.core.library_view import watch

    watch.settle(60)  # no library-view pass may still read the database being dropped
    get_engine().dispose()
    with psycopg.connect(_admin_dsn(_services.server_database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_services.database_name}" WITH (FORCE)')
    if _services.embedded_redis:
        embedded.stop_redis(_services.data_dir)
    if _services.embedded_postgres:
        embedded.stop_postgres(_services.data_dir)
    shutil.rmtree(_services.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def services() -> TestServices:
    assert _services is not None
    return _services


@pytest.fixture(autouse=True)
def clean_state(services: TestServices) -> Iterator[None]:
    """Every test starts with empty tables (schema kept), an empty Redis db and empty media folders."""
    import redis

    from mediafetcher_app.core.db import get_engine
    from mediafetcher_app.core.library_view import watch

    watch.settle(60)  # the previous test's last library-view pass ends before its files go

    with get_engine().begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars()
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    client = redis.Redis.from_url(services.redis_url)
    client.flushdb()
    client.close()
    settings = get_settings()
    for folder in (settings.tmp_dir, settings.final_dir, settings.thumbs_dir, settings.media_root / "library"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    yield


@pytest.fixture
def api() -> Any:
    """The ASGI app ``client`` talks to: the bare API. A module overrides it to test another
    arrangement (e.g. the API behind its SecurityLayer)."""
    from mediafetcher_app.api import build_api

    return build_api()


@pytest.fixture
async def client(api: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=API_BASE) as http:
        yield http


@pytest.fixture
def admin_token() -> str:
    """An API token with every scope, of a new admin named root."""
    from mediafetcher_app.core import auth
    from mediafetcher_app.core.models import Role
    from tests.factories import make_token, make_user

    make_user("root", Role.admin)
    return make_token("root", auth.Scope.ALL)


@pytest.fixture
def burst_worker() -> Callable[[], AbstractAsyncContextManager[Any]]:
    """``async with burst_worker() as worker: await worker.main()``: the production WorkerSettings
    run until the queue is empty; leaving the block closes it (on_shutdown), even on a failure."""
    from arq.worker import Worker

    from worker.main import WorkerSettings

    @asynccontextmanager
    async def running() -> AsyncIterator[Worker]:
        worker = Worker(
            functions=WorkerSettings.functions,
            on_startup=WorkerSettings.on_startup,
            on_shutdown=WorkerSettings.on_shutdown,
            queue_name=WorkerSettings.queue_name,
            redis_settings=WorkerSettings.redis_settings,
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
        )
        try:
            yield worker
        finally:
            await worker.close()

    return running
