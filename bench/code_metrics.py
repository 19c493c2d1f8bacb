"""Code-shape numbers for hygiene work: duplicated blocks, longest functions, package import edges.

Run from a checkout's root: `python bench/code_metrics.py [ROOT]`. It prints the `duplicates`
tool's pair count (when the tool is on PATH), the ten longest functions (by `ast` line span) and
the distinct package-to-package import edges among the app's parts, so a clean-up can show its
before and after.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = {
    "mediafetcher_app/core": "core",
    "mediafetcher_app/api": "api",
    "mediafetcher_app/state": "state",
    "mediafetcher_app/pages": "pages",
    "mediafetcher_app/components": "components",
    "worker": "worker",
}
SOURCE_DIRS = ("mediafetcher_app", "worker", "bench", "tests", "deploy", "alembic")


def _package_of_path(path: Path, root: Path) -> str | None:
    rel = path.relative_to(root).as_posix()
    for prefix, name in PACKAGES.items():
        if rel.startswith(prefix + "/"):
            return name
    return None


def _package_of_module(module: str) -> str | None:
    for prefix, name in PACKAGES.items():
        dotted = prefix.replace("/", ".")
        if module == dotted or module.startswith(dotted + "."):
            return name
    return None


def _python_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for folder in SOURCE_DIRS:
        files.extend(p for p in (root / folder).rglob("*.py") if ".web" not in p.parts)
    return sorted(files)


def _resolve(node: ast.ImportFrom, path: Path, root: Path) -> str:
    if not node.level:
        return node.module or ""
    parts = list(path.relative_to(root).with_suffix("").parts)[: -node.level]
    return ".".join(parts + ([node.module] if node.module else []))


def import_edges(root: Path) -> set[tuple[str, str]]:
    """Distinct (importing package, imported package) pairs, self-imports left out."""
    edges: set[tuple[str, str]] = set()
    for path in _python_files(root):
        source = _package_of_path(path, root)
        if source is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node, path, root)
                modules = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for module in modules:
                target = _package_of_module(module)
                if target and target != source:
                    edges.add((source, target))
    return edges


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)


def _reads_one_variable(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "getenv" or (node.func.attr == "get" and _is_environ(node.func.value))
    return isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value)


def env_reads_outside_settings(root: Path) -> list[str]:
    """Where app or worker code reads one variable from the environment (``os.environ.get``,
    ``os.getenv``, ``os.environ[...]``) anywhere but ``core/settings.py``; copies of the whole
    environment for a child process are not reads."""
    places: list[str] = []
    for path in _python_files(root):
        rel = path.relative_to(root).as_posix()
        if not rel.startswith(("mediafetcher_app/", "worker/")) or rel == "mediafetcher_app/core/settings.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        places.extend(f"{rel}:{node.lineno}" for node in ast.walk(tree) if _reads_one_variable(node))
    return places


def longest_functions(root: Path, count: int = 10) -> list[tuple[int, str]]:
    """The longest functions by line span (decorators excluded), longest first."""
    spans: list[tuple[int, str]] = []
    for path in _python_files(root):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                spans.append((length, f"{path.relative_to(root)}:{node.lineno} {node.name}"))
    return sorted(spans, reverse=True)[:count]


def duplicate_pairs(root: Path) -> str:
    """The first line of the `duplicates` tool's answer (its pair count), if the tool exists."""
    tool = shutil.which("duplicates")
    if tool is None:
        return "duplicates tool not on PATH"
    result = subprocess.run([tool, "--repo", str(root), "--seconds", "300"], capture_output=True, text=True)
    lines = result.stdout.splitlines()
    incomplete = [line for line in lines if line.startswith("incomplete")]
    return "; ".join(lines[:1] + incomplete)


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    print("duplicated blocks:", duplicate_pairs(root))
    functions = longest_functions(root)
    print("longest functions (lines):")
    for length, where in functions:
        print(f"  {length:4d} {where}")
    edges = import_edges(root)
    print(f"import edges between packages: {len(edges)}")
    for source, target in sorted(edges):
        print(f"  {source} -> {target}")
    reads = env_reads_outside_settings(root)
    print(f"environment reads outside core/settings.py: {len(reads)}", " ".join(reads))
    print("functions over 60 lines:", sum(1 for n, _ in longest_functions(root, 10**6) if n > 60))


if __name__ == "__main__":
    main()
