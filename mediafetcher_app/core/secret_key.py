"""The key that encrypts stored cookies: MF_SECRET_KEY, else a 0600 key file made on first start."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from .settings import Settings

KEY_FILE_NAME = "secret.key"


def key_file(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE_NAME


def ensure_key_file(settings: Settings) -> Path | None:
    """Create the key file once (mode 0600) unless MF_SECRET_KEY provides the key."""
    if settings.secret_key:
        return None
    path = key_file(settings)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a private name, then linked into place: two processes starting together
    # (app and worker) agree on one key, and nobody ever reads a half-written file.
    staging = path.with_name(f".{KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    try:
        os.link(staging, path)
    except FileExistsError:
        pass
    finally:
        staging.unlink()
    return path


def load_key(settings: Settings) -> bytes:
    """32 bytes for AES-256-GCM, derived from whichever secret is configured."""
    source = settings.secret_key or (ensure_key_file(settings) or key_file(settings)).read_text().strip()
    return hashlib.sha256(source.encode()).digest()
