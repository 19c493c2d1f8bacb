"""The command line creates users and tokens in the same database as the app."""

from __future__ import annotations

import os
import subprocess
import sys

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.migrations import PROJECT_ROOT
from mediafetcher_app.core.models import Role


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediafetcher_app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        timeout=120,
    )


def test_user_create_then_token_create_prints_a_working_token_last():
    created = cli("user", "create", "carol", "--role", "admin", "--password-stdin", stdin="a-long-password\n")
    assert created.returncode == 0, created.stderr
    minted = cli("token", "create", "--user", "carol", "--label", "script")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip().splitlines()[-1]
    assert token.startswith(auth.TOKEN_PREFIX)
    with session_scope() as db:
        who = auth.principal_for_token(db, token)
        assert (who.username, who.role) == ("carol", Role.admin)
        assert auth.authenticate(db, "carol", "a-long-password").username == "carol"


def test_cli_errors_are_one_clear_line_and_exit_2():
    assert cli("user", "create", "dave", "--password", "short").returncode == 2
    missing = cli("token", "create", "--user", "nobody")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "error: No user named 'nobody'."
