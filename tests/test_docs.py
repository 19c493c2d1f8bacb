"""The clone explains itself: every ``docs/ARCHITECTURE.md §N`` reference names a section it has."""

from __future__ import annotations

import re
import subprocess

from mediafetcher_app.core.migrations import PROJECT_ROOT

ARCHITECTURE = PROJECT_ROOT / "docs" / "ARCHITECTURE.md"
REFERENCE = re.compile(r"docs/ARCHITECTURE\.md §(\d+)(?:\.(\d+))?")


def _sections() -> dict[int, int]:
    """Section number -> how many numbered steps it has (``1. **...**`` items), from the document."""
    sections: dict[int, int] = {}
    current = 0
    for line in ARCHITECTURE.read_text().splitlines():
        if heading := re.match(r"## (\d+)\. ", line):
            current = int(heading.group(1))
            sections[current] = 0
        elif current and re.match(r"\d+\. \*\*", line):
            sections[current] += 1
    return sections


def test_every_architecture_reference_in_the_repo_names_an_existing_section():
    sections = _sections()
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    wrong = []
    for name in tracked.stdout.splitlines():
        path = PROJECT_ROOT / name
        if path.suffix not in {".py", ".md", ".yaml", ".sh", ".mjs", ".js", ".jsx"} or not path.is_file():
            continue
        for number, step in REFERENCE.findall(path.read_text(errors="replace")):
            if int(number) not in sections or (step and int(step) > sections[int(number)]):
                wrong.append(f"{name}: §{number}{'.' + step if step else ''}")
    assert sections and not wrong, wrong


def test_no_file_points_outside_the_clone_for_the_design():
    found = subprocess.run(
        ["git", "grep", "-l", "shared/" + "DESIGN", "--", ".", ":!tests/test_docs.py"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert found.stdout == ""
