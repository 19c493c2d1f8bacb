"""The feed's masonry as a local React component (feed_grid.jsx beside this file).

Reflex re-sends a changed list var whole; the grid instead fetches pages from /api/v1/media
itself, so scrolling further costs one page of JSON, never everything already shown.
"""

import reflex as rx
from reflex.event import passthrough_event_spec


class FeedGrid(rx.Component):
    library = rx.asset("feed_grid.jsx", shared=True).importable_path
    tag = "FeedGrid"

    query: rx.Var[str]
    refresh_key: rx.Var[int]
    selecting: rx.Var[bool]
    selected: rx.Var[list[int]]
    empty_title: rx.Var[str]
    empty_hint: rx.Var[str]

    on_open: rx.EventHandler[passthrough_event_spec(int)]
    on_toggle: rx.EventHandler[passthrough_event_spec(int)]


class ArrowKeys(rx.Component):
    """Left/right arrows call on_previous/on_next while ``active``."""

    library = FeedGrid.library
    tag = "ArrowKeys"

    active: rx.Var[bool]

    on_previous: rx.EventHandler[rx.event.no_args_event_spec]
    on_next: rx.EventHandler[rx.event.no_args_event_spec]


feed_grid = FeedGrid.create
arrow_keys = ArrowKeys.create
