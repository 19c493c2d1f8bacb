"""A cookie-protected URL: fails without the site's cookies, succeeds with the vault's copy."""

from __future__ import annotations

from mediafetcher_app.core.db import session_scope
from tests.factories import make_user
from tests.fixtures.pipeline import assert_done, media_of, run
from tests.fixtures.server import COOKIE

URL = "/protected/media/h264.mp4"


async def test_protected_url_fails_without_cookies(server):
    job = await run(server.url(URL))
    assert job.status == "failed"
    assert job.error_message == "The site refused access: add cookies for 127.0.0.1 under Connections."
    assert job.error_action == "/settings#settings-connections"
    assert "403" in job.error_detail


async def test_protected_url_succeeds_with_the_vaults_cookies_and_the_jar_is_untouched(server):
    from mediafetcher_app.core.vault import load_cookies, parse_netscape, save_cookies

    jar = f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t4102444800\t{COOKIE[0]}\t{COOKIE[1]}\n"
    owner = make_user("alice")  # the user run() submits the job as
    with session_scope() as db:
        save_cookies(db, parse_netscape(jar), owner_id=owner)
    with session_scope() as db:
        before = load_cookies(db, "127.0.0.1", owner_id=owner)
    job = await run(server.url(URL))
    assert_done(job)
    assert len(media_of(job.id)) == 1
    with session_scope() as db:
        assert load_cookies(db, "127.0.0.1", owner_id=owner) == before
