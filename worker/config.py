"""Worker-only knobs, read from the environment at call time (tests change them per test)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


@dataclass(frozen=True)
class EngineConfig:
    socket_timeout_s: float  # an engine's network read gives up after this long
    retry_limit: int  # tries of one engine on transient errors (timeouts, 429, 5xx)
    retry_backoff_s: float  # first wait between tries; doubles each time, capped at 60 s


def engine_config() -> EngineConfig:
    return EngineConfig(
        socket_timeout_s=_number("MF_ENGINE_SOCKET_TIMEOUT", 30.0),
        retry_limit=max(1, int(_number("MF_RETRY_LIMIT", 3))),
        retry_backoff_s=_number("MF_RETRY_BACKOFF", 5.0),
    )
