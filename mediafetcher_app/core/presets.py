"""Download choices ("presets"): what a job or a source asks the engines for.

compatible: H.264/AAC MP4 up to 1080p (plays everywhere); 720p: the same up to 720p; best: the
best the site has, as MP4 (whatever browsers cannot play is transcoded to H.264/AAC); audio: MP3
192 kbit/s. The archive check knows them: a video stored at 1080p answers a 720p request, while
the sound of an archived video is a new download (``satisfies``).
"""

from __future__ import annotations

from sqlmodel import Session as DBSession
from sqlmodel import select

from .auth import Principal
from .errors import InvalidInput
from .models import User

COMPATIBLE, HD720, BEST, AUDIO = "compatible", "720p", "best", "audio"
PRESETS = (COMPATIBLE, HD720, BEST, AUDIO)
LABELS = {
    COMPATIBLE: "Compatible (H.264/AAC MP4, up to 1080p)",
    HD720: "Up to 720p",
    BEST: "Best available, as MP4",
    AUDIO: "Audio only (MP3 192k)",
}
MAX_HEIGHT = {COMPATIBLE: 1080, HD720: 720, BEST: None}
_RANK = {HD720: 0, COMPATIBLE: 1, BEST: 2}  # a video fetched at a higher rank answers a lower one


def checked(value: object) -> str:
    """``value`` as a preset name, or InvalidInput naming the choices."""
    if value not in PRESETS:
        raise InvalidInput(f"The download choice must be one of {', '.join(PRESETS)}.", code="invalid_preset")
    return str(value)


def max_height(preset: str) -> int | None:
    return MAX_HEIGHT.get(preset)


def satisfies(kind: str, fetched_as: str | None, height: int | None, wanted: str) -> bool:
    """Whether a stored media (its kind, the preset it was fetched with, its height) answers a
    request for ``wanted``: audio only by audio; a video by a video fetched at the same or a
    higher choice, or at least as tall as the wanted cap (1080p answers 720p)."""
    if wanted == AUDIO:
        return kind == AUDIO
    if kind != "video":
        return kind == "image"  # images have no choices: archived is archived
    if _RANK.get(fetched_as or COMPATIBLE, 1) >= _RANK[wanted]:
        return True
    cap = MAX_HEIGHT[wanted]
    return cap is not None and height is not None and height >= cap


def default_of(db: DBSession, principal: Principal) -> str:
    """The user's default choice: one column, not the whole row (every submit without a preset asks)."""
    chosen = db.exec(select(User.default_preset).where(User.id == principal.user_id)).first()
    return chosen if chosen is not None else COMPATIBLE


def set_default(db: DBSession, principal: Principal, preset: object) -> str:
    """The choice new downloads and sources of this user start with (Settings)."""
    chosen = checked(preset)
    user = db.get(User, principal.user_id)
    if user is not None:
        user.default_preset = chosen
        db.add(user)
        db.flush()
    return chosen
