"""Pages of this app that fix a failed download: a job stores the path, the UI links it by label."""

CONNECTIONS = "/settings#settings-connections"  # where a user adds a site's cookies
ENGINES = "/settings#engines"  # where an admin updates yt-dlp and gallery-dl
LABELS = {CONNECTIONS: "Open Connections", ENGINES: "Open Engines"}


def label(path: str) -> str:
    return LABELS.get(path, "Open settings")
