"""`make run`'s launcher serves the login page and the API on one port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from mediafetcher_app.core.migrations import PROJECT_ROOT

from .conftest import ADMIN


def _ping(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/api/v1/ping")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_ping_answers_401_without_a_token_and_200_with_one_made_by_the_cli(live_server):
    status, body = _ping(live_server.url)
    assert status == 401 and body["error"]["code"] == "not_authenticated"
    env = dict(os.environ, DATABASE_URL=live_server.database_url)
    minted = subprocess.run(
        [sys.executable, "-m", "mediafetcher_app.cli", "token", "create", "--user", ADMIN[0]],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
        check=True,
    )
    status, body = _ping(live_server.url, minted.stdout.strip().splitlines()[-1])
    assert status == 200 and body["user"]["username"] == ADMIN[0]


def test_login_page_is_served_by_the_prod_build(live_server):
    with urllib.request.urlopen(live_server.url + "/login", timeout=10) as response:
        html = response.read().decode()
    assert response.status == 200 and "Sign in" in html
