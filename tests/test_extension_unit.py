"""The extension's unit tests (node's test runner) as one pytest test, so `make test` runs everything."""

from __future__ import annotations

import shutil
import subprocess

from mediafetcher_app.core.migrations import PROJECT_ROOT

EXTENSION = PROJECT_ROOT / "extension"


def test_extension_unit_tests_pass_under_node():
    node = shutil.which("node")
    assert node, "Node.js is needed for the extension's tests"
    assert (EXTENSION / "node_modules" / "linkedom").is_dir(), "run `npm ci --prefix extension` (make test does)"
    # explicit files, not the directory: node 20 searches a directory, node 22 expects globs
    files = sorted(str(path.relative_to(EXTENSION)) for path in (EXTENSION / "tests").glob("*.test.mjs"))
    assert files
    result = subprocess.run([node, "--test", *files], cwd=EXTENSION, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
