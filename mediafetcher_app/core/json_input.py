"""JSON from outside (request bodies, cookie exports) parsed without a way to crash the parser.

``json.loads`` recurses once per nesting level, so ``[[[[...]]]]`` a few thousand levels deep
raises RecursionError, which nobody catches as bad input (a 500). Here any nesting deeper than
``MAX_DEPTH`` is ``TooDeep``, a plain input error; nothing we accept comes close (a cookie export,
``{"cookies": [{...}]}``, is three levels).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class TooDeep(ValueError):
    """Lists and objects nest deeper than MAX_DEPTH; the message completes "The body is ..."."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels")


def _depth(value: Any) -> int:
    """How deep lists and objects nest (iterative: the value may be as deep as the parser allowed)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in children)
    return deepest


def loads(raw: str | bytes) -> Any:
    """``json.loads``; raises json.JSONDecodeError / UnicodeDecodeError as it does, and TooDeep."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise TooDeep() from None
    if _depth(value) > MAX_DEPTH:
        raise TooDeep()
    return value
