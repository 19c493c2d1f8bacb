"""File and folder names that every filesystem a NAS exports accepts (ext4, Btrfs, ZFS, and the
NTFS/exFAT/SMB rules Windows and macOS clients impose on a share).

- Characters Windows or SMB refuse (``< > : " / \\ | ? *``) and control characters become ``_``.
- No leading or trailing spaces or dots (Windows drops trailing ones; a leading dot hides a file).
- Names Windows reserves for devices (``CON``, ``NUL``, ``COM1`` ... also as ``CON.mp4``) get a
  leading ``_``.
- At most 255 *bytes* in UTF-8 (the ext4/Btrfs/ZFS limit, stricter than NTFS's 255 UTF-16 units),
  cut on a character boundary; text is NFC, as macOS clients expect.
- Names differing only in case are distinct on Linux but one on Windows/macOS shares:
  ``Namer`` numbers the later ones in a directory, ``Title (2)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

MAX_NAME_BYTES = 255
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))}
UNTITLED = "Untitled"


def cut_to_bytes(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` UTF-8 bytes without splitting a character."""
    return text.encode()[:limit].decode(errors="ignore") if limit > 0 else ""


def safe_part(text: str | None, limit: int = MAX_NAME_BYTES) -> str:
    """One path component (no extension) made safe, within ``limit`` bytes; never empty."""
    cleaned = " ".join(unicodedata.normalize("NFC", text or "").split())  # tabs, newlines, runs: one space
    cleaned = _FORBIDDEN.sub("_", cleaned)
    cleaned = cut_to_bytes(cleaned, limit).strip(" .")
    if not cleaned:
        return UNTITLED
    if cleaned.split(".", 1)[0].rstrip().upper() in _RESERVED:
        cleaned = cut_to_bytes("_" + cleaned, limit).rstrip(" .")
    return cleaned


def claim(stem: str, suffix: str, reserve_bytes: int, taken: Callable[[str], bool]) -> str:
    """The first of ``stem``, ``stem (2)``, ``stem (3)``... whose ``+ suffix`` is not ``taken`` (asked
    with the case-folded name), within 255 bytes keeping ``reserve_bytes`` spare for sidecar endings
    (``-poster.webp``) built from the same stem. ``taken`` may be a set lookup (a whole pass) or an
    index query (one media followed alone)."""
    budget = MAX_NAME_BYTES - len(suffix.encode()) - reserve_bytes
    base = cut_to_bytes(stem, budget).rstrip(" .") or UNTITLED
    candidate, number = base, 1
    while taken((candidate + suffix).casefold()):
        number += 1
        counter = f" ({number})"
        candidate = cut_to_bytes(base, budget - len(counter.encode())).rstrip(" .") + counter
    return candidate


class Namer:
    """Hands out names unique within one directory regardless of case (first come, first kept)."""

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self._taken: set[str] = {name.casefold() for name in reserved}

    def claim(self, stem: str, suffix: str = "", reserve_bytes: int = 0) -> str:
        """A free name (see ``claim``), now taken in this directory."""
        candidate = claim(stem, suffix, reserve_bytes, self._taken.__contains__)
        self._taken.add((candidate + suffix).casefold())
        return candidate
