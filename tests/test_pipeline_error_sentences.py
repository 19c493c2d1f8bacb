"""Engine error text becomes a sentence a user understands, whichever engine wrote it."""

from __future__ import annotations

import pytest

from mediafetcher_app.core import fix_pages
from worker.errors import classify

URL = "https://x.com/someone/status/1"


@pytest.mark.parametrize(
    "text,sentence,transient",
    [
        ("ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found", "The server returned 404", False),
        ("HttpError: '404 Not Found' for 'https://x.com/a'", "The server returned 404", False),
        ("'403 Forbidden' for 'https://x.com/home'", "The site refused access: add cookies for x.com", False),
        ("HTTP Error 429: Too Many Requests", "x.com is limiting requests; try again later.", True),
        ("HTTP Error 503: Service Unavailable", "The site had an internal error (503).", True),
        ("ERROR: Unsupported URL: https://x.com/", "This page has no video or image.", False),
    ],
)
def test_engine_errors_become_sentences(text, sentence, transient):
    error = classify(text, URL, max_file_bytes=10**9)
    assert error.message.startswith(sentence)
    assert error.transient is transient
    assert error.detail == text


SIGN_IN = "x.com only shows this to signed-in users: add your x.com cookies under Connections, then retry."
AGE = "x.com shows this only to signed-in adults"
GONE = "This post on x.com is private or was removed."
GEO = "x.com does not offer this in the country this server is in."
CHANGED = "x.com changed how its pages work and the download engines no longer understand it: update the engines."


@pytest.mark.parametrize(
    "text,sentence,action",
    [
        # yt-dlp's raise_login_required, with its cookie hint
        (
            "ERROR: [twitter] 1: This video is only available for registered users. Use --cookies-from-browser or "
            "--cookies for the authentication. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ for how to pass cookies",
            SIGN_IN,
            fix_pages.CONNECTIONS,
        ),
        ("AuthRequired: 'cookies' needed to access this account's posts", SIGN_IN, fix_pages.CONNECTIONS),
        (
            "ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.",
            AGE,
            fix_pages.CONNECTIONS,
        ),
        ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video", GONE, ""),
        ("ERROR: [twitter] 1: This tweet has been deleted", GONE, ""),
        ("NotFoundError: Requested user could not be found", GONE, ""),
        (
            "ERROR: [youtube] abc: The uploader has not made this video available in your country",
            GEO,
            "",
        ),
        ("ERROR: [x] 1: This video is not available from your location due to geo restriction", GEO, ""),
        (
            "ERROR: [instagram] C1: Requested content is not available, rate-limit reached or login required",
            "x.com is limiting requests; try again later.",
            "",
        ),
        (
            "ERROR: [tiktok] 7: Unable to extract universal data for rehydration; please report this issue on  "
            "https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template. Confirm you "
            "are on the latest version using  yt-dlp -U",
            CHANGED,
            fix_pages.ENGINES,
        ),
        ("KeyError: 'legacy'", CHANGED, fix_pages.ENGINES),
    ],
)
def test_a_platform_error_becomes_its_own_sentence_with_the_page_that_fixes_it(text, sentence, action):
    error = classify(text, URL, max_file_bytes=10**9)
    assert error.message.startswith(sentence)
    assert error.action == action
    assert error.detail == text
