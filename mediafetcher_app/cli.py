"""Command line: ``python -m mediafetcher_app.cli user create ...`` / ``token create ...`` / ``run`` /
``backup DIR`` / ``restore DIR`` / ``export`` / ``import-folder PATH`` / ``library rebuild`` /
``doctor`` / ``engines update|rollback|status``.

Reads MF_DATA_DIR / DATABASE_URL like the app, so it talks to the same database.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from pathlib import Path

from .core import auth, library_view
from .core.bootstrap import prepare
from .core.db import get_engine, session_scope
from .core.errors import DomainError
from .core.models import Role
from .core.settings import get_settings


def _password(args: argparse.Namespace) -> str:
    if args.password is not None:
        return args.password
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise DomainError("The passwords do not match.")
    return first


def user_create(args: argparse.Namespace) -> None:
    prepare()
    with session_scope() as db:
        user = auth.create_user(db, args.username, _password(args), Role(args.role))
        print(f"created {user.role.value} '{user.username}'")


def token_create(args: argparse.Namespace) -> None:
    prepare()
    with session_scope() as db:
        user = auth.get_user(db, args.user)
        token = auth.create_token(db, user, args.label, tuple(args.scope or auth.Scope.DEFAULT))
    print(f"token for '{user.username}' (shown once; store it now):")
    print(token)


def migrate(_args: argparse.Namespace) -> None:
    prepare()
    print("database is at the latest schema")


def backup_command(args: argparse.Namespace) -> None:
    from .core.backup import backup

    prepare()
    manifest = backup(args.dir)
    print(f"backed up the database ({manifest['media_files']} media files listed) into {args.dir}")
    if manifest["secret_key"] == "MF_SECRET_KEY":
        print("the secret key is MF_SECRET_KEY: keep it with this backup, restoring needs it")
    print(f"media files are not copied: back up {manifest['media_root']} as well")


def restore_command(args: argparse.Namespace) -> None:
    from .core.backup import restore

    restore(args.dir)
    prepare()  # a backup from an older release is migrated to the current schema
    print(f"restored {args.dir} into {get_settings().data_dir}")


def export_command(args: argparse.Namespace) -> None:
    from .core.export import export_library

    prepare()
    with session_scope() as db:
        library = export_library(db)
    text = json.dumps(library, indent=1, ensure_ascii=False)
    if args.output is None:
        print(text)
        return
    args.output.write_text(text + "\n", encoding="utf-8")
    print(
        f"exported {len(library['media'])} media, {len(library['sources'])} sources, "
        f"{len(library['folders'])} folders and {len(library['tags'])} tags to {args.output}",
        file=sys.stderr,
    )


def import_folder_command(args: argparse.Namespace) -> None:
    from rich.progress import Progress

    from worker.importer import candidates, import_files

    prepare()
    try:
        files = candidates(args.path)
    except NotADirectoryError as exc:
        raise DomainError(str(exc)) from None
    with Progress(transient=True) as progress:
        bar = progress.add_task("importing", total=len(files))
        summary = import_files(files, lambda _path: progress.advance(bar))
    for path, why in summary.skipped:
        print(f"skipped {path}: {why}")
    for path, why in summary.refused:
        print(f"refused {path}: {why}")
    print(f"imported {len(summary.imported)}, skipped {len(summary.skipped)}, refused {len(summary.refused)}")


def library_rebuild(_args: argparse.Namespace) -> None:
    prepare()
    applied = library_view.sync(get_engine())
    if applied is None:
        raise DomainError("The library view is off (MF_LIBRARY_VIEW=false): nothing to rebuild.")
    print(f"library view at {library_view.library_root()}: {applied.added} added, {applied.removed} removed")


def doctor(_args: argparse.Namespace) -> None:
    """One line per fact; exit 1 when something a seed platform needs is missing."""
    from .core import doctor as checks

    found = checks.run_all()
    for check in found:
        print(check.line())
    if not checks.healthy(found):
        raise SystemExit(1)


def engines_status(_args: argparse.Namespace) -> None:
    from .core import engine_updates

    for item in engine_updates.check():
        hint = f" (update: {item.available})" if item.newer else ""
        print(f"{item.package}: {item.active or 'missing'}{hint}")


def engines_update(args: argparse.Namespace) -> None:
    from .core import engine_updates

    prepare()
    packages = [args.engine] if args.engine else list(engine_updates.ENGINE_PACKAGES)
    if args.version and not args.engine:
        packages = ["yt-dlp"]
    print(engine_updates.update(packages, args.version))


def engines_rollback(_args: argparse.Namespace) -> None:
    from .core import engine_updates

    prepare()
    print(engine_updates.rollback())


def run(_args: argparse.Namespace) -> None:
    from .launcher import main

    if code := main():
        raise SystemExit(code)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="mediafetcher", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    user = commands.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    create = user.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.user.value)
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--password", help="the password (visible in shell history; prefer --password-stdin)")
    secret.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(handler=user_create)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(dest="action", required=True)
    mint = token.add_parser("create", help="create an API token; printed once, alone on the last line")
    mint.add_argument("--user", required=True)
    mint.add_argument("--label", default="cli")
    mint.add_argument(
        "--scope", action="append", choices=list(auth.Scope.ALL), help="repeatable; default: downloads and media"
    )
    mint.set_defaults(handler=token_create)

    save = commands.add_parser("backup", help="dump the database, the secret key and the vault into DIR")
    save.add_argument("dir", type=Path)
    save.set_defaults(handler=backup_command)
    load = commands.add_parser("restore", help="restore a backup into an empty data dir and database")
    load.add_argument("dir", type=Path)
    load.set_defaults(handler=restore_command)

    dump = commands.add_parser("export", help="write the library (media, sources, folders, tags) as JSON")
    dump.add_argument("--output", "-o", type=Path, help="a file; default: standard output")
    dump.set_defaults(handler=export_command)
    bring = commands.add_parser("import-folder", help="import the media files under PATH (originals are kept)")
    bring.add_argument("path", type=Path)
    bring.set_defaults(handler=import_folder_command)

    library = commands.add_parser("library", help="the media-server view under media/library/")
    actions = library.add_subparsers(dest="action", required=True)
    actions.add_parser("rebuild", help="make the view again from the database").set_defaults(handler=library_rebuild)

    commands.add_parser("doctor", help="check engines, ffmpeg, database, Redis and storage").set_defaults(
        handler=doctor
    )
    engines = commands.add_parser("engines", help="engine versions, updates and rollback").add_subparsers(
        dest="action", required=True
    )
    engines.add_parser("status", help="active and available versions").set_defaults(handler=engines_status)
    upgrade = engines.add_parser("update", help="install newer engines after a self-test")
    upgrade.add_argument("--engine", choices=["yt-dlp", "yt-dlp-ejs", "gallery-dl"], help="default: all three")
    upgrade.add_argument("--version", help="this version instead of the newest (default engine: yt-dlp)")
    upgrade.set_defaults(handler=engines_update)
    engines.add_parser("rollback", help="back to the version before the last change").set_defaults(
        handler=engines_rollback
    )
    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=migrate)
    commands.add_parser("run", help="start everything (what `make run` does)").set_defaults(handler=run)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command != "run":
        logging.basicConfig(level=logging.ERROR, format="%(levelname)s: %(message)s")
    try:
        args.handler(args)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
