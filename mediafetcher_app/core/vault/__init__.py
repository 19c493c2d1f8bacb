"""The cookie vault (docs/ARCHITECTURE.md §6): browser cookies stored per site, AES-GCM encrypted.

Cookies come in as Netscape cookies.txt or the extension's chrome.cookies JSON (``parse``), are
grouped by site (``sites``), sealed (``crypto``) and stored one jar per user and site
(``store``: a job uses its submitter's, or one an admin shares); ``checks`` names the page that
proves a site's jar still signs in. They
leave the server side only as a 0600 copy in a job's private 0700 directory under the data dir
(``write_job_cookie_file``); routes, state and logs see counts and dates, never a name or value.
"""

from .checks import GALLERYDL, YTDLP, SiteCheck, check_for, require_checkable
from .crypto import CookieDecryptError, seal, unseal
from .parse import Cookie, format_netscape, from_chrome, parse_chrome_json, parse_cookies, parse_netscape
from .sites import registrable_domain, site_for_domain, site_for_url
from .store import (
    EXPIRING_WINDOW,
    JOB_COOKIE_FILE,
    JarStatus,
    cookie_status,
    jar_for_job,
    load_cookies,
    own_jar,
    record_check,
    save_cookies,
    set_shared,
    write_job_cookie_file,
)

__all__ = [
    "EXPIRING_WINDOW",
    "GALLERYDL",
    "JOB_COOKIE_FILE",
    "YTDLP",
    "Cookie",
    "CookieDecryptError",
    "JarStatus",
    "SiteCheck",
    "check_for",
    "cookie_status",
    "format_netscape",
    "from_chrome",
    "jar_for_job",
    "load_cookies",
    "own_jar",
    "parse_chrome_json",
    "parse_cookies",
    "parse_netscape",
    "record_check",
    "registrable_domain",
    "require_checkable",
    "save_cookies",
    "seal",
    "set_shared",
    "site_for_domain",
    "site_for_url",
    "unseal",
    "write_job_cookie_file",
]
