"""Command line: ``python -m mediafetcher_app.cli user create ...`` / ``token create ...`` /
``library rebuild`` / ``run``.

Reads MF_DATA_DIR / DATABASE_URL like the app, so it talks to the same database.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from .core import auth, library_view
from .core.bootstrap import prepare
from .core.db import get_engine, session_scope
from .core.errors import DomainError
from .core.models import Role


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


def library_rebuild(_args: argparse.Namespace) -> None:
    prepare()
    applied = library_view.sync(get_engine())
    if applied is None:
        raise DomainError("The library view is off (MF_LIBRARY_VIEW=false): nothing to rebuild.")
    print(f"library view at {library_view.library_root()}: {applied.added} added, {applied.removed} removed")


def run(_args: argparse.Namespace) -> None:
    from .launcher import main

    main()


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

    library = commands.add_parser("library", help="the media-server view under media/library/")
    actions = library.add_subparsers(dest="action", required=True)
    actions.add_parser("rebuild", help="make the view again from the database").set_defaults(handler=library_rebuild)

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
