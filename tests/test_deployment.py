"""The NAS deployment (docs/ARCHITECTURE.md §7): compose.yaml, Dockerfile, docker/entrypoint.sh, .env.example.

These read the files: compose.yaml with PyYAML, the Dockerfile and Makefile line by line. The
entrypoint is run for real against stub binaries. deploy/smoke.py (run by .ci/run) builds the image
and runs its containers with podman.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
SOURCES = [
    *sorted((ROOT / "mediafetcher_app").rglob("*.py")),
    *sorted((ROOT / "worker").rglob("*.py")),
    *sorted((ROOT / "alembic").rglob("*.py")),
    *[p for p in [ROOT / "rxconfig.py"] if p.exists()],
]
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _mounts(service: dict) -> dict[str, str]:
    """target -> source of a service's volumes (short or long syntax)."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            match = re.fullmatch(r"((?:\$\{[^}]*\}|[^:])*):([^:]+)(?::\w+)?", volume)
            assert match, f"unreadable volume {volume!r}"
            source, target = match.groups()
        else:
            source, target = volume.get("source", ""), volume["target"]
        mounts[target] = source
    return mounts


def _is_named_volume(compose: dict, source: str) -> bool:
    return bool(source) and not source.startswith(("/", ".", "~", "$")) and source in (compose.get("volumes") or {})


# --- which environment variables the code reads, from its syntax trees ----------------------


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _is_name(node.value, "os")


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _read_key(node: ast.AST) -> ast.expr | None:
    """The key expression of a direct read: ``os.environ[K]``, ``os.environ.get/setdefault/pop(K)``,
    ``os.getenv(K)``."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value):
        return node.slice
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
        func = node.func
        if func.attr in {"get", "setdefault", "pop"} and _is_environ(func.value):
            return node.args[0]
        if func.attr == "getenv" and _is_name(func.value, "os"):
            return node.args[0]
    return None


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _passed_key(node: ast.AST, readers: set[str]) -> ast.expr | None:
    """The name expression a call hands to a known reader (``_int(K, 3)`` when ``_int`` reads)."""
    if isinstance(node, ast.Call) and node.args and _called_name(node) in readers:
        return node.args[0]
    return None


def _readers(trees: list[ast.Module]) -> set[str]:
    """Functions that read the variable named by their first parameter, directly (settings' ``_str``)
    or through another such function (``_int`` calls ``_str``): a call of one with a literal name is
    a read of that name. Found to a fixed point, so a chain of helpers of any length is seen."""
    funcs = [
        func
        for tree in trees
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef) and func.args.args
    ]
    readers: set[str] = set()
    while True:
        found = {
            func.name
            for func in funcs
            if any(
                _is_name(key, func.args.args[0].arg)
                for node in ast.walk(func)
                for key in (_read_key(node), _passed_key(node, readers))
                if key is not None
            )
        }
        if found <= readers:
            return readers
        readers |= found


def _env_reads(tree: ast.Module, readers: set[str]) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        key = _read_key(node)
        if key is None:
            key = _passed_key(node, readers)
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and ENV_NAME.fullmatch(key.value):
            names.add(key.value)
    return names


TREES = {path: ast.parse(path.read_text(), str(path)) for path in SOURCES}
READERS = _readers(list(TREES.values()))


def _documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines if line and line[0] != "#"]


def _make_prerequisites(target: str) -> list[str]:
    match = re.search(rf"^{re.escape(target)}:(?!=)(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"no `{target}:` rule in the Makefile"
    return match.group(1).split()


# --- compose.yaml ---------------------------------------------------------------------------


def test_compose_has_the_four_services(compose: dict) -> None:
    assert {"postgres", "redis", "app", "worker"} <= set(compose["services"])
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert "--appendonly" in services["redis"]["command"]
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert "ping" in str(services["redis"]["healthcheck"]["test"])


def test_app_and_worker_run_one_image(compose: dict) -> None:
    app, worker = compose["services"]["app"], compose["services"]["worker"]
    assert app.get("build") and app["build"] == worker.get("build")
    assert app.get("image") and app["image"] == worker.get("image")
    assert app["command"] == ["app"]
    assert worker["command"] == ["worker"]


def test_worker_can_be_scaled(compose: dict) -> None:
    worker = compose["services"]["worker"]
    for blocker in ("container_name", "ports", "deploy"):
        assert blocker not in worker, f"worker has {blocker}: `--scale worker=N` would break"


def test_media_share_and_data_volume_on_app_and_worker(compose: dict) -> None:
    for name in ("app", "worker"):
        service = compose["services"][name]
        mounts, env = _mounts(service), _environment(service)
        assert "MEDIA_PATH" in mounts.get("/media", ""), f"{name}: NAS share not mounted at /media"
        assert env.get("MF_MEDIA_ROOT") == "/media"
        assert env.get("MF_DATA_DIR") == "/data"
        assert _is_named_volume(compose, mounts.get("/data", "")), f"{name}: /data is not a named volume"
    assert _mounts(compose["services"]["app"])["/data"] == _mounts(compose["services"]["worker"])["/data"]


def test_database_and_redis_keep_data_in_named_volumes(compose: dict) -> None:
    assert _is_named_volume(compose, _mounts(compose["services"]["postgres"]).get("/var/lib/postgresql/data", ""))
    assert _is_named_volume(compose, _mounts(compose["services"]["redis"]).get("/data", ""))


def test_app_and_worker_use_the_services_and_dotenv(compose: dict) -> None:
    for name in ("app", "worker"):
        service = compose["services"][name]
        env = _environment(service)
        assert re.match(r"postgres(ql)?://[^@]+@postgres:5432/", env["DATABASE_URL"])
        assert re.match(r"redis://redis:6379(/\d+)?$", env["REDIS_URL"])
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        env_files = service["env_file"] if isinstance(service["env_file"], list) else [service["env_file"]]
        assert ".env" in [f if isinstance(f, str) else f["path"] for f in env_files]


def test_app_publishes_its_port(compose: dict) -> None:
    app = compose["services"]["app"]
    assert _environment(app)["PORT"] == "${PORT:-3000}"
    assert app["ports"] == ["${PORT:-3000}:${PORT:-3000}"]


# --- .env.example ---------------------------------------------------------------------------


def test_env_scan_finds_the_settings() -> None:
    """The scan below must see every kind of read: direct ones (os.environ.get, os.environ[...],
    os.getenv) and those through a helper that takes the name (settings' _flag, and _int through _str)."""
    found = set().union(*(_env_reads(tree, READERS) for tree in TREES.values()))
    assert {"DATABASE_URL", "REDIS_URL", "MF_DATA_DIR", "MF_SECRET_KEY", "PORT"} <= found
    assert {"MF_SECURE_COOKIES", "MF_ENGINE_SOCKET_TIMEOUT", "MF_ALLOWED_ORIGINS"} <= found
    assert {"_flag", "_str", "_int"} <= READERS


def test_env_scan_reads_the_code_not_its_text() -> None:
    tree = ast.parse(
        "import os\n"
        "def knob(name):\n    return os.environ.get(name, '')\n"
        "A = os.environ['READ_A']\nB = os.getenv('READ_B')\nC = knob('READ_C')\n"
        "os.environ['WRITTEN'] = '1'\n# os.environ.get('IN_A_COMMENT')\nD = 'os.getenv(\"IN_A_STRING\")'\n"
    )
    assert _env_reads(tree, _readers([tree])) == {"READ_A", "READ_B", "READ_C"}


def test_every_setting_is_read_in_core_settings() -> None:
    """One place reads the environment: other modules ask core/settings.py (copying the whole
    environment for a child process is not a read)."""
    settings = ROOT / "mediafetcher_app" / "core" / "settings.py"
    elsewhere = {
        str(path.relative_to(ROOT)): sorted(reads)
        for path, tree in TREES.items()
        if path != settings and (reads := _env_reads(tree, READERS))
    }
    assert not elsewhere, f"read these through core/settings.py: {elsewhere}"
    assert "REFLEX_API_URL" in _env_reads(TREES[settings], READERS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_env_var_the_code_reads_is_documented(path: Path) -> None:
    read = _env_reads(TREES[path], READERS)
    missing = sorted(read - _documented())
    assert not missing, f"{path.relative_to(ROOT)} reads {missing}: document them in .env.example"


def test_every_compose_variable_is_documented() -> None:
    used = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", (ROOT / "compose.yaml").read_text()))
    assert {"POSTGRES_PASSWORD", "MEDIA_PATH", "PORT"} <= used
    assert not sorted(used - _documented())


# --- Dockerfile -----------------------------------------------------------------------------


def test_dockerfile_installs_like_make_run() -> None:
    assert "setup" in _make_prerequisites("run"), "`make run` no longer depends on `setup`"
    steps = _dockerfile()
    assert steps[0] == ("ARG", "BASE_IMAGE=python:3.11-slim-bookworm"), "the official image is the default base"
    assert steps[1] == ("FROM", "${BASE_IMAGE} AS python")
    runs = [i for i, (op, args) in enumerate(steps) if op == "RUN" and re.search(r"\bmake setup\b", args)]
    assert runs, "the Dockerfile does not run `make setup`"
    apt = " ".join(args for op, args in steps[: runs[0]] if op == "RUN")
    for package in ("make", "nodejs", "npm"):
        assert re.search(rf"apt-get install[^&]*\b{package}\b", apt), f"{package} not installed before make setup"
    copied = " ".join(args for op, args in steps[: runs[0]] if op == "COPY")
    runtime_inputs = [p for p in _make_prerequisites("$(VENV)/.runtime") if not p.startswith("$")]
    assert runtime_inputs
    for needed in ["Makefile", *runtime_inputs]:
        assert re.search(rf"(^|\s){re.escape(needed)}(\s|$)", copied), f"{needed} not copied before make setup"


def test_dockerfile_copies_the_project_and_uses_the_entrypoint() -> None:
    steps = _dockerfile()
    assert ("WORKDIR", "/app") in steps
    assert any(op == "COPY" and args.split()[-2:] == [".", "."] for op, args in steps)
    assert ("ENTRYPOINT", '["/app/docker/entrypoint.sh"]') in steps
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in {"root", "0"}


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for op, args in _dockerfile():
        if op == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((op, args))
    return stages


def test_the_image_builds_the_frontend_so_containers_start_without_registries() -> None:
    build = next(stage for stage in _stages() if stage[0][1].endswith("AS build"))
    assert any(op == "RUN" and "reflex export --frontend-only --no-zip --env prod" in args for op, args in build)


def test_the_runtime_stage_carries_no_build_tools_and_has_a_healthcheck() -> None:
    runtime = _stages()[-1]
    assert runtime[0] == ("FROM", "python"), "the runtime stage starts from the same Python as the build"
    runs = " ".join(args for op, args in runtime if op == "RUN")
    for tool in ("nodejs", "npm", "make", "bun"):
        assert not re.search(rf"\b{tool}\b", runs), f"{tool} installed in the runtime stage"
    copied = [args for op, args in runtime if op == "COPY"]
    assert not any(args.split()[-2:] == [".", "."] for args in copied), "the whole build context in the runtime"
    assert not any(".tools" in args for args in copied), "bun in the runtime stage"
    assert any(op == "HEALTHCHECK" and '"healthcheck"]' in args for op, args in runtime)


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = {line.strip().strip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".tools", ".web", "data", ".git", ".env", "node_modules"} <= ignored


# --- docker/entrypoint.sh -------------------------------------------------------------------


@pytest.fixture
def stub_project(tmp_path: Path) -> Path:
    """A copy of the entrypoint next to stub .venv binaries that log their arguments."""
    (tmp_path / "docker").mkdir()
    shutil.copy2(ENTRYPOINT, tmp_path / "docker" / "entrypoint.sh")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "reflex", "arq"):
        stub = bin_dir / name
        stub.write_text(
            '#!/bin/sh\necho "$(basename "$0") $*" >> "$STUB_LOG"\n'
            'env > "$STUB_LOG.$(basename "$0").env"\nexit "${STUB_EXIT:-0}"\n'
        )
        stub.chmod(0o755)
    return tmp_path


def _run_entrypoint(project: Path, *args: str, **env: str) -> tuple[int, list[str]]:
    log = project / "calls.log"
    full_env = {"PATH": os.environ["PATH"], "STUB_LOG": str(log), "TMPDIR": str(project), **env}
    proc = subprocess.run([str(project / "docker" / "entrypoint.sh"), *args], env=full_env, timeout=30)
    return proc.returncode, log.read_text().splitlines() if log.exists() else []


def test_entrypoint_is_executable() -> None:
    assert os.access(ENTRYPOINT, os.X_OK)
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh")


def test_entrypoint_app_migrates_then_serves_on_port(stub_project: Path) -> None:
    code, calls = _run_entrypoint(stub_project, "app", PORT="4321", REDIS_URL="redis://redis:6379/0")
    assert code == 0
    assert calls == [
        "python -m mediafetcher_app.cli migrate",
        "python -m mediafetcher_app.serve_built",
    ]
    env = (stub_project / "calls.log.python.env").read_text().splitlines()
    assert "REFLEX_REDIS_URL=redis://redis:6379/0" in env, "Reflex's state manager must use the compose Redis"
    assert "GRANIAN_WORKERS=1" in env
    assert "PORT=4321" in env


def test_entrypoint_worker_migrates_then_runs_arq(stub_project: Path) -> None:
    code, calls = _run_entrypoint(stub_project, "worker")
    assert code == 0
    assert calls == ["python -m mediafetcher_app.cli migrate", "arq worker.main.WorkerSettings"]


@pytest.mark.parametrize(("role", "check"), [("app", "python -c"), ("worker", "python -m worker.healthcheck")])
def test_entrypoint_healthcheck_checks_what_the_container_runs(stub_project: Path, role: str, check: str) -> None:
    _run_entrypoint(stub_project, role)
    (stub_project / "calls.log").unlink()
    code, calls = _run_entrypoint(stub_project, "healthcheck")
    assert code == 0
    assert len(calls) == 1 and calls[0].startswith(check)


def test_entrypoint_stops_when_migrations_fail(stub_project: Path) -> None:
    code, calls = _run_entrypoint(stub_project, "app", STUB_EXIT="1")
    assert code != 0
    assert calls == ["python -m mediafetcher_app.cli migrate"]


def test_entrypoint_runs_other_commands_as_given(stub_project: Path) -> None:
    code, calls = _run_entrypoint(stub_project, ".venv/bin/python", "-m", "mediafetcher_app.cli", "user", "create")
    assert code == 0
    assert calls == ["python -m mediafetcher_app.cli user create"]
