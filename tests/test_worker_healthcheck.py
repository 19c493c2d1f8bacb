"""A worker container is healthy while a worker on its host stamps its heartbeat (worker/healthcheck.py,
the image's HEALTHCHECK for `worker`)."""

from __future__ import annotations

import socket

from sqlalchemy import text

from mediafetcher_app.core.db import session_scope
from worker import healthcheck, heartbeat


def test_a_worker_container_is_healthy_only_while_its_own_worker_beats(monkeypatch):
    assert not healthcheck.healthy("box-a"), "no heartbeat yet"
    monkeypatch.setattr(socket, "gethostname", lambda: "box-b")
    with session_scope() as db:
        heartbeat.beat(db, "box-b:7:abc")
    assert healthcheck.healthy("box-b")
    assert not healthcheck.healthy("box-a"), "another host's worker does not make this one healthy"
    with session_scope() as db:
        db.exec(text("UPDATE worker_heartbeat SET seen_at = now() - interval '1 hour'"))  # type: ignore[call-overload]
    assert not healthcheck.healthy("box-b"), "a silent worker is not healthy"
