"""The yt-dlp fork server pays yt-dlp's start-up once (worker/engines/ytdlp_warm.py): its
``YoutubeDL`` knows exactly yt-dlp's own extractors in yt-dlp's order, TLS contexts are shared
per set of options and TLS environment, and the rehearsal download succeeds and leaves no thread
behind (the server forks). Each case runs in a fresh interpreter: the warm-up changes yt-dlp's
module state for the process it runs in, as it does in the fork server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def in_a_fork_server(code: str) -> tuple[dict, str]:
    """Run ``child_ytdlp.prepare()`` as the fork server does, then ``code``, which prints one JSON line."""
    script = "from worker.engines import child_ytdlp, ytdlp_warm\nchild_ytdlp.prepare()\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_a_warm_youtube_dl_has_yt_dlps_own_extractors_in_yt_dlps_order():
    found, _ = in_a_fork_server(
        """
        import json
        from yt_dlp import YoutubeDL
        own = list(YoutubeDL({"quiet": True})._ies)
        warm = list(ytdlp_warm.youtube_dl({"quiet": True})._ies)
        print(json.dumps({"own": own, "warm": warm}))
        """
    )
    assert len(found["own"]) > 1000
    assert found["warm"] == found["own"]


def test_a_tls_context_is_made_once_per_set_of_options_and_tls_environment(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text(Path(__import__("certifi").where()).read_text())
    found, _ = in_a_fork_server(
        f"""
        import json, os
        from yt_dlp.networking import common
        first = common.make_ssl_context(verify=True, legacy_support=False, use_certifi=True)
        again = common.make_ssl_context(use_certifi=True, verify=True)
        legacy = common.make_ssl_context(verify=True, legacy_support=True, use_certifi=True)
        os.environ["SSL_CERT_FILE"] = {str(bundle)!r}
        own_ca = common.make_ssl_context(verify=True, use_certifi=False)
        os.environ.pop("SSL_CERT_FILE")
        system = common.make_ssl_context(verify=True, use_certifi=False)
        print(json.dumps({{"same": first is again, "legacy": legacy is first, "ca": own_ca is system}}))
        """
    )
    assert found == {"same": True, "legacy": False, "ca": False}


def test_the_rehearsal_downloads_and_leaves_no_thread_behind():
    found, stderr = in_a_fork_server(
        """
        import json, threading
        print(json.dumps({"threads": threading.active_count()}))
        """
    )
    assert "rehearsal failed" not in stderr
    assert found == {"threads": 1}
