"""The cookie key: MF_SECRET_KEY, else one 0600 key file that every process agrees on."""

from __future__ import annotations

import dataclasses
import stat
from concurrent.futures import ThreadPoolExecutor

from mediafetcher_app.core.secret_key import ensure_key_file, key_file, load_key
from mediafetcher_app.core.settings import get_settings


def _settings(tmp_path, secret=None):
    return dataclasses.replace(get_settings(), data_dir=tmp_path, secret_key=secret)


def test_key_file_is_created_once_with_mode_0600(tmp_path):
    settings = _settings(tmp_path)
    path = ensure_key_file(settings)
    assert path == key_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = load_key(settings)
    assert len(first) == 32 and load_key(settings) == first


def test_processes_starting_together_agree_on_one_key(tmp_path):
    settings = _settings(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_key(settings), range(32)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"], "no staging file is left behind"


def test_secret_key_from_the_environment_makes_no_file(tmp_path):
    settings = _settings(tmp_path, secret="from-env")
    assert ensure_key_file(settings) is None
    assert load_key(settings) != load_key(_settings(tmp_path / "other", secret="another"))
    assert not key_file(settings).exists()
