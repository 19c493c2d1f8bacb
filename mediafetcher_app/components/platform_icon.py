"""A platform's icon: a small committed SVG (assets/platforms/), named by core.platforms.icon."""

import reflex as rx


def platform_icon(src: rx.Var[str] | str, size: str = "14px") -> rx.Component:
    return rx.image(src=src, alt="", width=size, height=size, class_name="mf-platform-icon", display="inline-block")
