"""Engine updates without a rebuild (issue 9.3), from a folder of wheels the tests build:
a "yt-dlp 2099.1.1" that wraps the pinned one, and a "2099.1.2" that is broken."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlmodel import col, select

from mediafetcher_app.core import doctor, engine_updates
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.engine_overlay import active_overlay, engines_dir, read_state, versions_dir
from mediafetcher_app.core.engine_report import collect
from mediafetcher_app.core.models import Event
from mediafetcher_app.core.settings import get_settings
from tests.test_engines import cli

PINNED = engine_updates.active_versions()["yt-dlp"]


def engine_events() -> list[str]:
    with session_scope() as db:
        return [e.message for e in db.exec(select(Event).where(Event.kind == "engines").order_by(col(Event.id)))]


def test_an_update_is_self_tested_then_used_by_the_next_engine_process_and_is_an_event(wheels):
    done = cli("engines", "update", "--version", "2099.1.1")
    assert done.returncode == 0, done.stderr
    assert "yt-dlp 2099.1.1" in done.stdout
    overlay = active_overlay()
    assert overlay is not None and overlay.parent == versions_dir()
    report = collect()  # a fresh engine process, as the worker starts them
    assert report["yt_dlp"] == "2099.1.1"
    assert Path(report["yt_dlp_path"]).resolve().is_relative_to(overlay.resolve())
    assert report["js_runtimes"].startswith("deno-")  # the rest of the equipment is still there
    lines = {check.name: check.detail for check in doctor.engine_checks(report)}
    assert lines["yt-dlp"] == f"2099.1.1 (update {overlay.name})"
    assert lines["gallery-dl"].endswith("(pinned)")
    assert engine_events() == ["Engines updated: yt-dlp 2099.1.1; engines use it from their next job."]


def test_the_worker_starts_engines_with_the_overlay_first_on_their_path(wheels):
    from worker.engines.runner import _child_env

    assert "PYTHONPATH" not in _child_env() or str(engines_dir()) not in _child_env()["PYTHONPATH"]
    engine_updates.update(["yt-dlp"], "2099.1.1")
    assert _child_env()["PYTHONPATH"].split(":")[0] == str(active_overlay())


def test_a_broken_update_fails_its_self_test_and_changes_nothing(wheels):
    assert cli("engines", "update", "--version", "2099.1.1").returncode == 0
    before_state, before_versions = read_state(), sorted(p.name for p in versions_dir().iterdir())
    done = cli("engines", "update", "--version", "2099.1.2")
    assert done.returncode == 2
    assert "failed its self-test" in done.stderr and "this release is broken" in done.stderr
    assert "nothing changed" in done.stderr
    assert read_state() == before_state
    assert sorted(p.name for p in versions_dir().iterdir()) == before_versions
    assert collect()["yt_dlp"] == "2099.1.1"
    assert "failed its self-test" in engine_events()[-1]


def test_rollback_returns_to_the_pinned_version_and_back_again_each_an_event(wheels):
    assert cli("engines", "update", "--version", "2099.1.1").returncode == 0
    back = cli("engines", "rollback")
    assert back.returncode == 0, back.stderr
    assert "the pinned versions" in back.stdout
    assert active_overlay() is None and collect()["yt_dlp"] == PINNED
    forward = cli("engines", "rollback")
    assert forward.returncode == 0 and collect()["yt_dlp"] == "2099.1.1"
    messages = engine_events()
    assert [m.split(":")[0] for m in messages] == [
        "Engines updated",
        "Engines rolled back to the pinned versions",
        f"Engines rolled back to {read_state().current}",
    ]


def test_rollback_with_nothing_to_go_back_to_says_so(wheels):
    done = cli("engines", "rollback")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: There is no earlier engine version to roll back to."


def test_check_lists_the_newest_in_the_index_and_update_installs_it(wheels):
    (item,) = engine_updates.check(["yt-dlp"])
    assert (item.active, item.available, item.newer) == (PINNED, "2099.1.2", True)
    (wheels / "yt_dlp-2099.1.2-py3-none-any.whl").unlink()
    assert engine_updates.update(["yt-dlp"]).startswith("Engines updated: yt-dlp 2099.1.1")
    assert engine_updates.update(["yt-dlp"]) == "The engines are current: yt-dlp 2099.1.1."


def test_a_second_host_sharing_the_data_volume_follows_the_same_overlay(wheels, tmp_path: Path):
    engine_updates.update(["yt-dlp"], "2099.1.1")
    state = json.loads((engines_dir() / "state.json").read_text())
    assert Path(state["current"]).name == state["current"]  # a name, not a host's absolute path
    other = tmp_path / "other-host-mount"
    shutil.copytree(get_settings().data_dir / "engines", other / "engines", symlinks=True)
    done = cli("engines", "status", MF_DATA_DIR=str(other))
    assert done.returncode == 0, done.stderr
    assert "yt-dlp: 2099.1.1" in done.stdout


async def test_auto_update_is_off_by_default_and_on_installs_the_newest(wheels, monkeypatch):
    from worker.main import WorkerSettings, engine_update_cron

    assert any(job.coroutine is engine_update_cron for job in WorkerSettings.cron_jobs)
    (wheels / "yt_dlp-2099.1.2-py3-none-any.whl").unlink()
    await engine_update_cron({})
    assert active_overlay() is None and engine_events() == []
    monkeypatch.setenv("MF_ENGINE_AUTO_UPDATE", "1")
    monkeypatch.setenv("MF_ENGINE_INDEX", str(wheels))
    get_settings.cache_clear()
    await engine_update_cron({})
    assert collect()["yt_dlp"] == "2099.1.1"
