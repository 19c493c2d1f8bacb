"""Seed a library for the UI benchmarks and for looking at the feed: N media rows with real
thumbnails (a few hundred distinct WebP files shared round-robin), sources on several platforms
with posted dates (mostly days before the download, some years), tags, folders (one, "Seed half",
holds every other media) and one finished download job per media (the dashboard's counters at
that many jobs). Uses the app's settings (MF_DATA_DIR / DATABASE_URL).

    .venv/bin/python -m bench.seed_media --count 100000
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import time
from datetime import timedelta

from PIL import Image, ImageFilter
from sqlalchemy import insert, select, text

from mediafetcher_app.core import storage, tallies
from mediafetcher_app.core.bootstrap import prepare
from mediafetcher_app.core.db import get_engine
from mediafetcher_app.core.models import (
    DownloadJob,
    Folder,
    JobStatus,
    Media,
    MediaFolder,
    MediaSource,
    MediaTag,
    Source,
    Tag,
    User,
    utcnow,
)

PLATFORMS = ("youtube", "tiktok", "instagram", "x", "soundcloud", "pinterest", "twitch")
WORDS = [
    "cosplay",
    "sunset",
    "tutorial",
    "concert",
    "cats",
    "drone",
    "city",
    "night",
    "beach",
    "recipe",
    "guitar",
    "travel",
    "anime",
    "skate",
    "mountain",
    "rain",
    "street",
    "portrait",
    "festival",
    "garden",
]
SHAPES = ((640, 360), (360, 640), (500, 500), (480, 640), (640, 480))
THUMBS = 300
HALF_FOLDER = "Seed half"
JOB_OUTCOMES = (JobStatus.done, JobStatus.failed, JobStatus.cancelled)
BATCH = 5000


def _photo_like(width: int, height: int, rng: random.Random) -> Image.Image:
    """Texture and gradients that compress about as badly as a photo does (flat shapes would
    flatter the transfer budget)."""
    base = Image.linear_gradient("L").rotate(rng.randrange(360)).resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 60).convert("RGB").filter(ImageFilter.GaussianBlur(1.2))
    image = Image.blend(base, noise, 0.5)
    tint = [rng.randrange(1, 4) for _ in range(3)]
    return Image.merge(
        "RGB", [band.point(lambda v, k=k: (v * k) % 256) for band, k in zip(image.split(), tint, strict=True)]
    )


def make_thumbnails(rng: random.Random) -> list[tuple[str, int, int]]:
    """Distinct WebP files sized as the pipeline sizes them: video frames 320 px wide (ffmpeg's
    WebP, quality 75), images within 320x320 (quality 80)."""
    out = []
    for n in range(THUMBS):
        width, height = rng.choice(SHAPES)
        is_image = n % 2 == 0
        scale = 320 / max(width, height) if is_image else 320 / width
        image = _photo_like(round(width * scale), round(height * scale), rng)
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", quality=80 if is_image else 75)
        sha = hashlib.sha256(buffer.getvalue() + n.to_bytes(4, "big")).hexdigest()
        relative = storage.thumb_name(sha)
        path = storage.absolute(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())
        out.append((relative, width, height))
    return out


def seed(count: int, seed_value: int = 7) -> None:
    rng = random.Random(seed_value)
    prepare()
    thumbs = make_thumbnails(rng)
    engine = get_engine()
    start = time.perf_counter()
    now = utcnow()
    with engine.begin() as conn:
        tag_ids = {
            name: conn.execute(insert(Tag).values(name=name).returning(Tag.id)).scalar_one()
            for name in (f"seed-{w}" for w in WORDS[:8])
        }
        tag_names = list(tag_ids)
        folder_ids = [
            conn.execute(insert(Folder).values(name=f"Seed {w}", created_at=now).returning(Folder.id)).scalar_one()
            for w in WORDS[:5]
        ]
        half_id = conn.execute(
            insert(Folder).values(name=HALF_FOLDER, created_at=now).returning(Folder.id)
        ).scalar_one()
        owner = conn.execute(select(User.id).order_by(User.id).limit(1)).scalar()
        with tallies.paused(conn):  # recounted once at the end
            conn.execute(text("ALTER TABLE media_source DISABLE TRIGGER mf_media_source_search"))
            conn.execute(text("ALTER TABLE media_tag DISABLE TRIGGER mf_media_tag_search"))
            for offset in range(0, count, BATCH):
                size = min(BATCH, count - offset)
                media_rows, source_rows, job_rows, tagged = [], [], [], []
                for i in range(offset, offset + size):
                    kind = rng.choices(("video", "image", "audio"), (5, 4, 1))[0]
                    thumb, width, height = thumbs[i % THUMBS]
                    title = " ".join(rng.sample(WORDS, 3)).title() + f" #{i}"
                    tag = rng.choice(tag_names) if (i - offset) % 7 == 0 else ""  # every 7th media has a tag
                    if tag:
                        tagged.append(tag)
                    platform = rng.choice(PLATFORMS)
                    media_rows.append(
                        {
                            "sha256": hashlib.sha256(f"seed-{seed_value}-{i}".encode()).hexdigest(),
                            "path": f"final/seed-{i}.{ {'video': 'mp4', 'image': 'jpg', 'audio': 'mp3'}[kind] }",
                            "kind": kind,
                            "mime": "application/octet-stream",
                            "size_bytes": rng.randrange(10**5, 10**9),
                            "width": width,
                            "height": height,
                            "duration_s": None if kind == "image" else rng.uniform(5, 3600),
                            "title": title,
                            "description": " ".join(rng.sample(WORDS, 6)),
                            "thumbnail_path": thumb,
                            "created_at": now - timedelta(minutes=count - i),
                            # what migration 0002's triggers (off during the load) would write
                            "search_extra": f"{tag} {platform} uploader{i % 500}".strip(),
                        }
                    )
                    source_rows.append(
                        {
                            "url": f"https://{platform}.example/watch/{i}",
                            "platform": platform,
                            "external_id": f"seed{i}",
                            "uploader": f"uploader{i % 500}",
                            "raw_metadata": {},
                            "created_at": now,
                            # most posts are saved within days of posting; some come from an archive
                            "posted_at": now
                            - timedelta(
                                minutes=count - i,
                                days=rng.uniform(0, 3) if rng.random() < 0.7 else rng.uniform(0, 5 * 365),
                            ),
                        }
                    )
                    done_at = now - timedelta(minutes=count - i)
                    job_rows.append(
                        {
                            "url": f"https://{platform}.example/watch/{i}",
                            "requested_by": owner,
                            "status": rng.choices(JOB_OUTCOMES, (90, 7, 3))[0],
                            "attempts": 1,
                            "attempt_log": [],
                            "created_at": done_at,
                            "finished_at": done_at,
                            "updated_at": done_at,
                        }
                    )
                media_ids = (
                    conn.execute(insert(Media).returning(Media.id, sort_by_parameter_order=True), media_rows)
                    .scalars()
                    .all()
                )
                source_ids = (
                    conn.execute(insert(Source).returning(Source.id, sort_by_parameter_order=True), source_rows)
                    .scalars()
                    .all()
                )
                conn.execute(
                    insert(MediaSource),
                    [{"media_id": m, "source_id": s} for m, s in zip(media_ids, source_ids, strict=True)],
                )
                conn.execute(
                    insert(MediaTag),
                    [{"media_id": m, "tag_id": tag_ids[t]} for m, t in zip(media_ids[::7], tagged, strict=True)],
                )
                conn.execute(
                    insert(MediaFolder),
                    [{"media_id": m, "folder_id": rng.choice(folder_ids), "added_at": now} for m in media_ids[::11]],
                )
                conn.execute(
                    insert(MediaFolder),
                    [{"media_id": m, "folder_id": half_id, "added_at": now} for m in media_ids[::2]],
                )
                conn.execute(insert(DownloadJob), job_rows)
            conn.execute(text("ALTER TABLE media_source ENABLE TRIGGER mf_media_source_search"))
            conn.execute(text("ALTER TABLE media_tag ENABLE TRIGGER mf_media_tag_search"))
    # as autovacuum leaves a library minutes after a bulk load: statistics, the visibility map that
    # index-only scans need, and the search index's pending list merged
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"seeded {count} media in {time.perf_counter() - start:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    seed(parser.parse_args().count)


if __name__ == "__main__":
    main()
