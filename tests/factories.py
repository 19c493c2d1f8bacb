"""Users and tokens for tests, made through the real services."""

from __future__ import annotations

from mediafetcher_app.core import auth
from mediafetcher_app.core.db import session_scope
from mediafetcher_app.core.models import Role

PASSWORD = "correct horse battery"


def make_user(username: str = "alice", role: Role = Role.user, password: str = PASSWORD) -> int:
    with session_scope() as db:
        user = auth.create_user(db, username, password, role)
        assert user.id is not None
        return user.id


def make_token(username: str, scopes: tuple[str, ...] = auth.Scope.DEFAULT) -> str:
    with session_scope() as db:
        return auth.create_token(db, auth.get_user(db, username), "test", scopes)


def make_principal(username: str = "alice", role: Role = Role.user) -> auth.Principal:
    """A new user, as the core sees them through a token with the default scopes."""
    make_user(username, role)
    with session_scope() as db:
        return auth.principal_for_token(db, make_token(username))


def make_session(username: str) -> str:
    with session_scope() as db:
        return auth.create_session(db, auth.get_user(db, username))


def make_media(
    title: str,
    kind: str = "video",
    platform: str = "youtube",
    *,
    uploader: str = "someone",
    url: str | None = None,
    content: bytes | None = None,
    description: str = "",
    created_at=None,
) -> int:
    """A stored media with a real file in final/ and one source, as the pipeline leaves it."""
    import hashlib

    from mediafetcher_app.core import media_records, storage
    from mediafetcher_app.core.models import Media, MediaKind, MediaSource, utcnow

    data = content if content is not None else f"{title}-{kind}-{platform}".encode() * 64
    sha = hashlib.sha256(data).hexdigest()
    ext = {"video": "mp4", "audio": "mp3", "image": "jpg"}[kind]
    relative = storage.final_name(sha, ext)
    path = storage.absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    mime = {"video": "video/mp4", "audio": "audio/mpeg", "image": "image/jpeg"}[kind]
    with session_scope() as db:
        media = Media(
            sha256=sha,
            path=relative,
            kind=MediaKind(kind),
            mime=mime,
            size_bytes=len(data),
            title=title,
            description=description,
            width=640,
            height=360,
            created_at=created_at or utcnow(),
        )
        db.add(media)
        db.flush()
        source_id = media_records.add_source(
            db,
            media_records.SourceInfo(
                url=url or f"https://{platform}.example/{sha[:8]}",
                platform=platform,
                external_id=sha[:12],
                uploader=uploader,
            ),
        )
        db.add(MediaSource(media_id=media.id, source_id=source_id))
        return media.id


def bearer(token: str, **extra: str) -> dict[str, str]:
    """Request headers carrying an API token (plus any ``extra`` headers)."""
    return {"Authorization": f"Bearer {token}", **extra}
