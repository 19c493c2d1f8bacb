"""Form pieces shared by pages."""

import reflex as rx


def submit_when_live(*children: rx.Component | str, busy: rx.Var[bool] | None = None, **props) -> rx.Component:
    """A submit button disabled until the page is live (and while ``busy``).

    Before the page's script runs (and its load events answer), Enter or a click submits a form
    natively: a GET to the page's own address with every field in it. A password would land in the
    address bar, the history and any proxy's log; other fields are lost in the reload. While the
    default button is disabled the browser submits nothing at all (no implicit submission). The add
    box does better: its native submit lands on /share (components/add_url.py)."""
    waiting = ~rx.State.is_hydrated
    return rx.button(*children, type="submit", disabled=waiting if busy is None else waiting | busy, **props)
