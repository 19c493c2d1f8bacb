"""Engine error text becomes a sentence a user understands, whichever engine wrote it."""

from __future__ import annotations

import pytest

from worker.errors import classify

URL = "https://x.com/someone/status/1"


@pytest.mark.parametrize(
    "text,sentence,transient",
    [
        ("ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found", "The server returned 404", False),
        ("HttpError: '404 Not Found' for 'https://x.com/a'", "The server returned 404", False),
        ("'403 Forbidden' for 'https://x.com/home'", "The site refused access: add cookies for x.com.", False),
        ("HTTP Error 429: Too Many Requests", "The site is limiting requests", True),
        ("HTTP Error 503: Service Unavailable", "The site had an internal error (503).", True),
        ("ERROR: Unsupported URL: https://x.com/", "This page has no video or image.", False),
    ],
)
def test_engine_errors_become_sentences(text, sentence, transient):
    error = classify(text, URL, max_file_bytes=10**9)
    assert error.message.startswith(sentence)
    assert error.transient is transient
    assert error.detail == text
