"""Reflex configuration, from the settings core/settings.py reads (see .env.example)."""

import reflex as rx

from mediafetcher_app.core.settings import load_settings

settings = load_settings()

config = rx.Config(
    app_name="mediafetcher_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="iris", radius="large", appearance="inherit"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
    # The frontend asks this address for its websocket; browsers on the LAN swap localhost for
    # the host they loaded the page from, so the default works without a proxy.
    api_url=settings.api_url,
    # Reflex's default "*" with credentials would let any page read our API with the user's cookie.
    # Our own pages need no CORS (one origin); only MF_ALLOWED_ORIGINS may read cross-origin.
    cors_allowed_origins=list(settings.allowed_origins),
    # security.py hashes the inline scripts of each served HTML page: keep the encodings it reads.
    frontend_compression_formats=["gzip"],
)
