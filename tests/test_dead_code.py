"""No dead code: vulture (pinned in requirements-dev.txt, configured under [tool.vulture] in
pyproject.toml, with vulture_whitelist.py for what is used out of its sight) finds nothing."""

from __future__ import annotations

import subprocess
import sys

from mediafetcher_app.core.migrations import PROJECT_ROOT


def test_vulture_finds_no_dead_code() -> None:
    found = subprocess.run(
        [sys.executable, "-m", "vulture"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert found.returncode == 0, f"dead code (remove it, or whitelist what is used unseen):\n{found.stdout}"
