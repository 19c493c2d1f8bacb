"""Container smoke test: the NAS image really builds and runs here (issue 11, docs/ARCHITECTURE.md §10).

Run by .ci/run after the test suite, as root, from the project's venv:
    .venv/bin/python deploy/smoke.py [--cache DIR] [--keep] [--embedded]

1. installs podman, runc, debootstrap and docker-compose when missing, and checks compose.yaml
   with `docker-compose config` (Debian's podman-compose 1.0.3 has no `config`);
2. makes a Debian base image with debootstrap once (its tarball cached in --cache, reused later);
3. builds the image from it (podman, runc, host network, the host's certificates);
4. starts an app container with no network at all on embedded servers: it serves within 30 s;
5. against PostgreSQL and Redis (the machine's own when they answer, a fresh database; else
   embedded ones started here), starts an app and a worker container together, signs in,
   downloads a fixture served by tests/fixtures through the API, finds the file in the mounted
   media directory with the configured owner, restarts both containers and finds everything again;
6. removes its containers, database and directories (the image, its build stage as the next
   run's cache and the base stay; what earlier runs built is removed).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import secrets
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mediafetcher_app.core import embedded  # noqa: E402
from tests.fixtures.media import make_all  # noqa: E402
from tests.fixtures.server import FixtureServer  # noqa: E402

BASE_IMAGE = "localhost/bookworm:base"
IMAGE = "localhost/mediafetcher:smoke"
BUILD_STAGE = "localhost/mediafetcher:smoke-build"  # the Dockerfile's build stage, kept as cache
APP_UID, APP_GID = 1501, 1502  # the "configured owner" of the media share, not 1000 nor root
IMAGE_PORT = 3000  # the port the image's frontend was built for (Dockerfile ARG PORT)
CERTS = "/etc/ssl/certs"
PASSWORD = "smoke-test-password"
REDIS_DB = 14  # the machine's Redis: a db of the smoke's own, flushed before and after
START_DEADLINE_S = 30.0
JOB_DEADLINE_S = 180.0
# command -> Debian package. Debian's podman-compose (1.0.3) has no `config`; docker-compose 1.29 has,
# and reads the file without a Docker daemon.
PACKAGES = {"podman": "podman", "runc": "runc", "debootstrap": "debootstrap", "docker-compose": "docker-compose"}


class SmokeFailure(RuntimeError):
    """A step found the deployment broken; the message says which and why."""


def step(message: str) -> None:
    print(f"== smoke: {message}", flush=True)


class Podman:
    """podman as docs/ARCHITECTURE.md §10 says it runs here: runc, no default ulimits."""

    def __init__(self, cache: Path) -> None:
        self.conf = cache / "containers.conf"
        self.conf.write_text("[containers]\ndefault_ulimits = []\n")

    def __call__(self, *args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", "--runtime", "runc", *args],
            env={**os.environ, "CONTAINERS_CONF": str(self.conf)},
            check=check,
            text=True,
            capture_output=capture,
        )

    def output(self, *args: str) -> str:
        return self(*args, capture=True).stdout.strip()


def install_tools() -> None:
    missing = [package for command, package in PACKAGES.items() if shutil.which(command) is None]
    if not missing:
        step(f"{', '.join(PACKAGES)} are installed")
        return
    step(f"installing {' '.join(missing)} with apt-get")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)


def check_compose_file() -> None:
    """`docker-compose config` resolves compose.yaml as Compose does (variables, anchors, .env)."""
    step("compose.yaml: docker-compose config (with .env.example as .env)")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copy2(ROOT / "compose.yaml", project / "compose.yaml")
        shutil.copy2(ROOT / ".env.example", project / ".env")
        result = subprocess.run(
            ["docker-compose", "--file", "compose.yaml", "config"], cwd=project, text=True, capture_output=True
        )
    if result.returncode != 0 or "services:" not in result.stdout:
        raise SmokeFailure(f"docker-compose config rejected compose.yaml:\n{result.stderr or result.stdout}")
    for service in ("postgres", "redis", "app", "worker"):
        if f"  {service}:" not in result.stdout:
            raise SmokeFailure(f"docker-compose config lost the {service} service:\n{result.stdout}")


def debian_mirror() -> str:
    """The mirror apt already uses (deb822 or one-line sources)."""
    for path in [*sorted(Path("/etc/apt").glob("sources.list.d/*.sources")), Path("/etc/apt/sources.list")]:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] and "security" not in words[1]:
                return words[1]
            if words[:1] == ["deb"]:
                url = next(w for w in words[1:] if "://" in w)
                if "security" not in url:
                    return url
    return "http://deb.debian.org/debian"


def ensure_base(podman: Podman, cache: Path) -> None:
    if podman("image", "exists", BASE_IMAGE, check=False).returncode == 0:
        step(f"base image {BASE_IMAGE} is there")
        return
    tarball = cache / "bookworm-minbase.tar"
    if not tarball.exists():
        mirror = debian_mirror()
        step(f"debootstrap --variant=minbase bookworm from {mirror} (once; cached in {tarball})")
        rootfs = Path(tempfile.mkdtemp(prefix="rootfs-", dir=cache))
        try:
            subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror], check=True)
            for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
                deb.unlink()
            partial = tarball.with_suffix(".partial")
            subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
            partial.replace(tarball)
        finally:
            shutil.rmtree(rootfs, ignore_errors=True)
    step(f"podman import {tarball.name} {BASE_IMAGE}")
    podman("import", "--quiet", str(tarball), BASE_IMAGE)


def build_image(podman: Podman) -> None:
    """Builds IMAGE, and tags its build stage too: the stage stays as the next run's cache, and
    what earlier runs built is removed instead of piling up untagged."""
    step(f"podman build {IMAGE} from {BASE_IMAGE} (APP_UID={APP_UID}, APP_GID={APP_GID})")
    started = time.monotonic()
    previous = {tag: image_id(podman, tag) for tag in (BUILD_STAGE, IMAGE)}
    # The certificates as an overlay: packages that update them write to a throwaway layer.
    # The docker format keeps the HEALTHCHECK (OCI images have none).
    common = [
        "build", "--format", "docker", "--network", "host", "--volume", f"{CERTS}:{CERTS}:O",
        "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "--build-arg", f"APP_UID={APP_UID}",
        "--build-arg", f"APP_GID={APP_GID}",
    ]  # fmt: skip
    podman(*common, "--target", "build", "--tag", BUILD_STAGE, str(ROOT))
    podman(*common, "--tag", IMAGE, str(ROOT))
    for tag, old in previous.items():
        if old and old != image_id(podman, tag):
            podman("rmi", old, check=False, capture=True)
    size = int(podman.output("image", "inspect", "--format", "{{.Size}}", IMAGE))
    step(f"built in {time.monotonic() - started:.0f} s; image size {size / 1e6:.0f} MB")


def image_id(podman: Podman, tag: str) -> str | None:
    found = podman("image", "inspect", "--format", "{{.Id}}", tag, check=False, capture=True)
    return found.stdout.strip() if found.returncode == 0 else None


def wait_for(what: str, ready: Callable[[], bool], deadline_s: float) -> float:
    """Poll ``ready`` until it holds; returns the seconds it took, fails after ``deadline_s``."""
    started = time.monotonic()
    while not ready():
        if time.monotonic() - started > deadline_s:
            raise SmokeFailure(f"{what}: not within {deadline_s:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - started


def container_healthy(podman: Podman, name: str) -> bool:
    running = podman.output("container", "inspect", "--format", "{{.State.Running}}", name)
    if running != "true":
        logs = podman("logs", "--tail", "40", name, check=False, capture=True)
        raise SmokeFailure(f"container {name} stopped:\n{logs.stdout}{logs.stderr}")
    return podman("exec", name, "/app/docker/entrypoint.sh", "healthcheck", check=False, capture=True).returncode == 0


def offline_start(podman: Podman, work: Path, run_id: str) -> None:
    """No network at all (not even the host's): embedded servers inside, and the app serves."""
    step("app container with --network none (embedded PostgreSQL and Redis inside) starts serving")
    data = owned_dir(work / "offline-data")
    name = f"mf-smoke-offline-{run_id}"
    start = (
        "import os; from pathlib import Path; from mediafetcher_app.core import embedded; "
        "os.environ['DATABASE_URL'] = embedded.ensure_postgres(Path('/data')); "
        "os.environ['REDIS_URL'] = embedded.ensure_redis(Path('/data')); "
        "os.execv('/app/docker/entrypoint.sh', ['entrypoint.sh', 'app'])"
    )
    podman(
        "run", "--detach", "--name", name, "--network", "none", "--volume", f"{data}:/data",
        "--env", "MF_ADMIN_USER=admin", "--env", f"MF_ADMIN_PASSWORD={PASSWORD}",
        "--entrypoint", "/app/.venv/bin/python", IMAGE, "-c", start,
    )  # fmt: skip
    try:
        took = wait_for("the offline app answering /ping", lambda: container_healthy(podman, name), START_DEADLINE_S)
        page = podman.output("exec", name, "/app/.venv/bin/python", "-c", FETCH_INDEX)
        if "<html" not in page.lower():
            raise SmokeFailure(f"the offline app did not serve the built frontend at /: {page[:300]!r}")
        step(f"offline app served /ping and its frontend {took:.1f} s after start")
    finally:
        podman("rm", "--force", "--time", "10", name, check=False, capture=True)


FETCH_INDEX = (
    "import os, urllib.request as u; "
    "print(u.urlopen('http://127.0.0.1:%s/' % os.environ.get('PORT', '3000'), timeout=10).read().decode()[:2000])"
)


def owned_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, APP_UID, APP_GID)
    return path


@dataclass
class Services:
    database_url: str  # SQLAlchemy URL, as the containers get it
    redis_url: str


class SocketBridge(socketserver.ThreadingTCPServer):
    """A loopback TCP port onto the embedded PostgreSQL, which listens on a private Unix socket
    only (in its data directory, which the containers' user may not enter)."""

    daemon_threads = True

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        super().__init__(("127.0.0.1", 0), _BridgeHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _BridgeHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        assert isinstance(self.server, SocketBridge)
        with socket.socket(socket.AF_UNIX) as upstream:
            upstream.connect(str(self.server.socket_path))
            back = threading.Thread(target=_pipe, args=(upstream, self.request), daemon=True)
            back.start()
            _pipe(self.request, upstream)
            back.join()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def services(work: Path, embedded_only: bool) -> Iterator[Services]:
    """The machine's PostgreSQL and Redis where they answer on 127.0.0.1 (as .ci/run decides),
    else embedded ones started here; a fresh database and an empty Redis db either way."""
    machine_pg = not embedded_only and answers(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"])
    machine_redis = not embedded_only and answers(["redis-cli", "-h", "127.0.0.1", "ping"])
    bridge: SocketBridge | None = None
    if machine_pg:
        server = make_url("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    else:
        socket_url = make_url(embedded.ensure_postgres(work))
        socket_path = Path(str(socket_url.query["host"])) / ".s.PGSQL.5432"
        bridge = SocketBridge(socket_path)
        server = make_url(f"postgresql+psycopg://postgres@127.0.0.1:{bridge.port}/postgres")
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}" if machine_redis else embedded.ensure_redis(work)
    where = {True: "the machine's own at 127.0.0.1", False: "embedded, started here"}
    step(f"PostgreSQL: {where[machine_pg]}; Redis: {where[machine_redis]}")
    name = f"mf_smoke_{secrets.token_hex(4)}"
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    flush_redis(redis_url)
    try:
        yield Services(server.set(database=name).render_as_string(False), redis_url)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        flush_redis(redis_url)
        if not machine_redis:
            embedded.stop_redis(work)
        if bridge is not None:
            bridge.close()
            embedded.stop_postgres(work)


def answers(check: list[str]) -> bool:
    return shutil.which(check[0]) is not None and subprocess.run(check, capture_output=True).returncode == 0


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Deployment:
    """An app and a worker container sharing the data and media directories, as compose runs them."""

    def __init__(self, podman: Podman, work: Path, run_id: str, services: Services) -> None:
        self.podman, self.run_id = podman, run_id
        self.port = free_port()
        self.data, self.media = owned_dir(work / "data"), owned_dir(work / "media")
        self.env = {
            "DATABASE_URL": services.database_url,
            "REDIS_URL": services.redis_url,
            "PORT": str(self.port),
            "MF_ADMIN_USER": "admin",
            "MF_ADMIN_PASSWORD": PASSWORD,
            # the fixture server is on the loopback, a private address
            "MF_BLOCK_PRIVATE_URLS": "false",
        }
        self.names = {role: f"mf-smoke-{role}-{run_id}" for role in ("app", "worker")}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        for role in ("worker", "app"):  # in either order: bootstrap is serialised
            env = [arg for key, value in self.env.items() for arg in ("--env", f"{key}={value}")]
            self.podman(
                "run", "--detach", "--name", self.names[role], "--network", "host",
                "--volume", f"{CERTS}:{CERTS}:ro", "--volume", f"{self.data}:/data",
                "--volume", f"{self.media}:/media", *env, IMAGE, role,
            )  # fmt: skip

    def wait_healthy(self) -> float:
        """Seconds until both answer their healthchecks (the app /ping, the worker its heartbeat)."""
        started = time.monotonic()
        for role, name in self.names.items():
            wait_for(f"{role} container healthy", lambda n=name: container_healthy(self.podman, n), 120)
        return time.monotonic() - started

    def restart(self) -> None:
        self.podman("restart", "--time", "30", *self.names.values(), capture=True)

    def remove(self) -> None:
        for name in self.names.values():
            self.podman("rm", "--force", "--time", "10", name, check=False, capture=True)


def sign_in(client: httpx.Client) -> None:
    answer = client.post("/auth/login", json={"username": "admin", "password": PASSWORD})
    if answer.status_code != 200:
        raise SmokeFailure(f"sign-in refused: {answer.status_code} {answer.text}")


def download(client: httpx.Client, url: str) -> dict[str, Any]:
    answer = client.post("/api/v1/downloads", json={"url": url})
    if answer.status_code != 202:
        raise SmokeFailure(f"download refused: {answer.status_code} {answer.text}")
    job_id = answer.json()["job_id"]
    job: dict[str, Any] = {}

    def finished() -> bool:
        nonlocal job
        job = client.get(f"/api/v1/downloads/{job_id}").json()
        return job.get("status") in ("done", "failed", "cancelled")

    wait_for(f"download job {job_id}", finished, JOB_DEADLINE_S)
    if job["status"] != "done" or not job.get("media_ids"):
        raise SmokeFailure(f"download job {job_id} ended {job.get('status')}: {job.get('error')}")
    return job


def stored_file(client: httpx.Client, media: Path, media_id: int) -> Path:
    """The served bytes are the file under final/ (named by its SHA-256), owned as configured."""
    served = client.get(f"/media/{media_id}")
    if served.status_code != 200:
        raise SmokeFailure(f"GET /media/{media_id}: {served.status_code}")
    digest = hashlib.sha256(served.content).hexdigest()
    found = list((media / "final").glob(f"{digest}.*"))
    if not found:
        raise SmokeFailure(f"no final/{digest}.* in the mounted media directory {media}")
    stat = found[0].stat()
    if (stat.st_uid, stat.st_gid) != (APP_UID, APP_GID):
        raise SmokeFailure(f"{found[0]} is owned by {stat.st_uid}:{stat.st_gid}, not {APP_UID}:{APP_GID}")
    return found[0]


def library(client: httpx.Client) -> list[int]:
    return sorted(item["id"] for item in client.get("/api/v1/media").json()["items"])


def run_deployment(podman: Podman, work: Path, run_id: str, fixture: FixtureServer, embedded_only: bool) -> None:
    with services(work, embedded_only) as found:
        deployment = Deployment(podman, work, run_id, found)
        try:
            step("worker and app containers start together against the same database")
            deployment.start()
            took = deployment.wait_healthy()
            step(f"both healthy {took:.1f} s after start")
            origin = {"Origin": deployment.base}
            with httpx.Client(base_url=deployment.base, headers=origin, timeout=30) as client:
                step("sign in as the first admin")
                sign_in(client)
                step("download a fixture through the API")
                job = download(client, fixture.url("/media/h264.mp4"))
                media_id = job["media_ids"][0]
                path = stored_file(client, deployment.media, media_id)
                step(f"media {media_id} is {path.relative_to(deployment.media)}, owned {APP_UID}:{APP_GID}")
                before = library(client)
                step("restart both containers")
                deployment.restart()
                took = deployment.wait_healthy()
                step(f"both healthy again {took:.1f} s after the restart")
                if library(client) != before:
                    raise SmokeFailure(f"the library changed across the restart: {before} -> {library(client)}")
                if stored_file(client, deployment.media, media_id) != path:
                    raise SmokeFailure("the stored file changed across the restart")
                step("after the restart: the same session, library and file")
        finally:
            step("removing the containers")
            deployment.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path("/var/cache/mediafetcher-ci"), help="kept between runs")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, media) for a look")
    parser.add_argument("--embedded", action="store_true", help="embedded servers even where the machine's answer")
    args = parser.parse_args()
    started = time.monotonic()
    args.cache.mkdir(parents=True, exist_ok=True)
    install_tools()
    podman = Podman(args.cache)
    check_compose_file()
    ensure_base(podman, args.cache)
    build_image(podman)
    run_id = secrets.token_hex(3)
    work = Path(tempfile.mkdtemp(prefix="mf-smoke-", dir="/var/tmp"))
    work.chmod(0o755)
    fixture = FixtureServer(make_all(work / "fixtures")).start()
    try:
        offline_start(podman, work, run_id)
        run_deployment(podman, work, run_id, fixture, args.embedded)
    finally:
        fixture.stop()
        if args.keep:
            step(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    step(f"passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    try:
        main()
    except (SmokeFailure, subprocess.CalledProcessError) as exc:
        print(f"== smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
