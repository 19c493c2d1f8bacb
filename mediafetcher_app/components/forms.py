"""Form pieces shared by pages."""

import reflex as rx


def submit_when_live(*children: rx.Component | str, **props) -> rx.Component:
    """The submit button of a form that carries a password: disabled until the page is live.

    Before the page's script runs (and its load events answer), Enter or a click submits a form
    natively: a GET to the page's own address with every field, passwords included, in the address
    bar, the history and any proxy's log. While the default button is disabled the browser submits
    nothing at all (no implicit submission)."""
    return rx.button(*children, type="submit", disabled=~rx.State.is_hydrated, **props)
