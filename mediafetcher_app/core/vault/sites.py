"""Which site a cookie or a URL belongs to: the unit the vault stores, replaces and hands out.

A site is a registrable domain (``music.youtube.com`` -> ``youtube.com``), found with the simple
last-two-labels rule plus a short list of multi-part public suffixes (``bbc.co.uk``), rather than
the full Public Suffix List: we only need a stable key for the sites people fetch from, and a
wrong guess merely groups two unrelated jars, it never exposes a cookie to a different site than
the engines' own cookie matching would. Domains one service spreads over (``twitter.com`` and
``x.com``, ``youtu.be``) are grouped under one site so a sync and a job see them together.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Second-level labels under country codes, plus hosting suffixes whose subdomains are separate sites.
MULTI_PART_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "net.uk", "ltd.uk", "plc.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "net.nz", "org.nz",
        "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "co.kr", "or.kr", "ne.kr",
        "com.br", "net.br", "org.br", "com.mx", "com.ar", "com.co", "com.pe", "com.tr",
        "com.cn", "net.cn", "org.cn", "com.tw", "com.hk", "com.sg", "com.my", "com.ph",
        "co.in", "net.in", "org.in", "co.id", "co.th", "com.vn", "com.pk", "com.ng",
        "co.za", "co.il", "com.ua", "com.pl", "com.eg", "com.sa",
        "github.io", "gitlab.io", "blogspot.com", "appspot.com", "herokuapp.com", "netlify.app",
        "vercel.app", "pages.dev", "web.app", "firebaseapp.com",
    }
)  # fmt: skip

# Alias domain -> the site it belongs to.
SITE_GROUPS: dict[str, str] = {
    "twitter.com": "x.com",
    "youtu.be": "youtube.com",
    "youtube-nocookie.com": "youtube.com",
    "instagr.am": "instagram.com",
    "pin.it": "pinterest.com",
}


def normalise_host(host: str) -> str:
    """Lower-case, without the cookie's leading dot, a trailing root dot or IPv6 brackets."""
    return host.strip().lower().strip(".").removeprefix("[").removesuffix("]")


def registrable_domain(host: str) -> str:
    """``www.bbc.co.uk`` -> ``bbc.co.uk``, ``m.youtube.com`` -> ``youtube.com``; IPs and ``localhost`` as is."""
    name = normalise_host(host)
    try:
        ipaddress.ip_address(name)
        return name
    except ValueError:
        pass
    labels = name.split(".")
    if len(labels) <= 2:
        return name
    size = 3 if ".".join(labels[-2:]) in MULTI_PART_SUFFIXES else 2
    return ".".join(labels[-size:])


def site_for_domain(domain: str) -> str:
    """The site a cookie domain (or host name) is stored under."""
    registrable = registrable_domain(domain)
    return SITE_GROUPS.get(registrable, registrable)


def site_for_url(url: str) -> str | None:
    """The site whose cookies a download of ``url`` may use; None without a usable host."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return site_for_domain(host) if host and host.strip(".") else None
