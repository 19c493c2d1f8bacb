"""The dashboard's health counts a worker alive by the same MF_WORKER_STALE_S as the worker's
reconcile (it used to have its own 30 s)."""

from __future__ import annotations

from sqlalchemy import text

from mediafetcher_app.core import overview
from mediafetcher_app.core.db import session_scope
from worker import heartbeat


def worker_silent_for(seconds: int) -> None:
    with session_scope() as db:
        heartbeat.beat(db, "w:1:abc")
        db.exec(text(f"UPDATE worker_heartbeat SET seen_at = now() - interval '{seconds} seconds'"))


def alive() -> list[str]:
    with session_scope() as db:
        return [w.worker_id for w in overview.server_health(db).alive_workers]


def test_a_worker_silent_45_s_is_alive_with_a_60_s_stale_setting_and_dead_with_the_default(monkeypatch):
    worker_silent_for(45)
    monkeypatch.setenv("MF_WORKER_STALE_S", "60")
    assert alive() == ["w:1:abc"]
    with session_scope() as db:
        assert heartbeat.live_worker_ids(db) == {"w:1:abc"}  # the reconcile agrees
    monkeypatch.delenv("MF_WORKER_STALE_S")
    assert alive() == []
