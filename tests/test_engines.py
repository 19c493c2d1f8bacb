"""Engines fully equipped (issue 9.1) and the doctor that says so (issue 9.2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from mediafetcher_app.core import doctor, engine_admin
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.engine_overlay import read_state
from mediafetcher_app.core.engine_report import collect
from mediafetcher_app.core.engine_setup import ytdlp_equipment
from mediafetcher_app.core.errors import Forbidden
from mediafetcher_app.core.ffmpeg import run
from mediafetcher_app.core.migrations import PROJECT_ROOT
from mediafetcher_app.core.models import Event
from mediafetcher_app.core.overview import engines_status
from mediafetcher_app.core.settings import get_settings
from tests.factories import make_principal
from worker.engines.child_ytdlp import _Log, base_params


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediafetcher_app.cli", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        timeout=300,
    )


def test_a_ytdlp_verbose_report_in_our_engine_setup_shows_the_js_runtime_ejs_and_ffprobe():
    report = collect()
    assert report["js_runtimes"].startswith("deno-"), report
    assert "yt_dlp_ejs-" in report["libraries"] and "curl_cffi-" in report["libraries"]
    assert "ffprobe" in report["executables"] and "ffmpeg" in report["executables"]
    assert "curl_cffi" in report["request_handlers"] and report["impersonate"]


def test_the_engine_runner_gives_ytdlp_the_runtime_and_an_ffmpeg_dir_holding_ffprobe():
    cfg = {"tmp": "/tmp", "proxy": "", "socket_timeout": 3, "max_bytes": 1, **ytdlp_equipment()}
    params = base_params(cfg, _Log())
    (runtime,) = params["js_runtimes"].items()
    assert runtime[0] == "deno" and Path(runtime[1]["path"]).is_file()
    location = Path(params["ffmpeg_location"])
    assert (location / "ffmpeg").exists() and (location / "ffprobe").exists()


def test_doctor_prints_one_line_per_fact_and_exits_zero_when_equipped():
    done = cli("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    names = [line[5:].split(":", 1)[0] for line in lines]
    engines = ["yt-dlp", "yt-dlp-ejs", "gallery-dl", "JS runtime", "impersonation", "ffmpeg"]
    assert names == [*engines, "database", "Redis", "media volume"]
    assert all(line.startswith("ok ") for line in lines), done.stdout
    assert "libx264 yes, aac yes, libmp3lame yes, ffprobe yes" in done.stdout
    assert "free" in lines[-1]


def test_a_missing_js_runtime_is_reported_in_a_sentence_and_doctor_exits_non_zero(tmp_path: Path):
    done = cli("doctor", MF_JS_RUNTIME=f"deno:{tmp_path / 'no-deno'}")
    assert done.returncode == 1, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if "JS runtime:" in line)
    assert line.startswith("FAIL JS runtime: none - yt-dlp finds no JavaScript runtime")
    assert "MF_JS_RUNTIME" in line


def test_an_unknown_js_runtime_is_named_and_doctor_exits_non_zero():
    done = cli("doctor", MF_JS_RUNTIME="perl")
    assert done.returncode == 1, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if "JS runtime:" in line)
    assert line == (
        "FAIL JS runtime: misconfigured - "
        "MF_JS_RUNTIME: 'perl' is not one of deno, node, bun, quickjs: fix MF_JS_RUNTIME."
    )


def test_an_ffmpeg_without_the_needed_encoders_is_named(tmp_path: Path, monkeypatch):
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho 'ffmpeg version 0.0-stub'\necho ' A..... pcm_s16le PCM'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("FFMPEG", str(fake))
    from mediafetcher_app.core.ffmpeg import ffmpeg_exe

    ffmpeg_exe.cache_clear()
    try:
        check = doctor.ffmpeg_check()
    finally:
        ffmpeg_exe.cache_clear()
    assert not check.ok and check.required
    assert "libx264 no, aac no, libmp3lame no" in check.detail
    assert check.problem.startswith("This ffmpeg cannot encode with libx264, aac, libmp3lame")


def engine_events() -> list[str]:
    with session_scope() as db:
        return [e.message for e in db.exec(select(Event).where(Event.kind == "engines"))]


def test_only_an_admin_may_see_update_or_roll_back_the_engines():
    user = make_principal("mallory")
    for action in (engine_admin.facts, engine_admin.check, engine_admin.update, engine_admin.rollback):
        with pytest.raises(Forbidden):
            action(user)
    assert read_state().current is None and engine_events() == []


def test_the_dashboard_status_warns_with_the_doctors_sentence_when_the_runtime_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("MF_JS_RUNTIME", f"deno:{tmp_path / 'no-deno'}")
    get_settings.cache_clear()
    try:
        doctor.engine_facts_cache.refresh()
        ok, sentence = engines_status()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        doctor.engine_facts_cache.refresh()
    assert not ok
    assert sentence.startswith("yt-dlp finds no JavaScript runtime")
    assert engines_status() == (True, "ok")


def test_the_ffprobe_ytdlp_is_given_reads_an_mpeg_ts(tmp_path: Path):
    """yt-dlp probes HLS downloads (MPEG-TS) with it; the wheel's static build alone crashes there."""
    clip = tmp_path / "clip.ts"
    made = run(["-f", "lavfi", "-i", "testsrc=duration=1:size=64x48", "-c:v", "libx264", "-y", str(clip)])
    assert made.returncode == 0, made.stderr
    probe = Path(ytdlp_equipment()["ffmpeg_location"]) / "ffprobe"
    done = subprocess.run([str(probe), "-v", "error", "-show_format", str(clip)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "format_name=mpegts" in done.stdout
