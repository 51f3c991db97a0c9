"""bench/bench_scale.py at tiny sizes: the whole bench runs, prints every figure, and its stores are
the pipeline's (stories, bands, search rows, consistent counts); a build stopped early resumes.
Never asserts on time: the figures are only checked to be there."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "bench_scale.py"
sys.path.insert(0, str(REPO / "bench"))

TINY = ["--baseline", "120", "--articles", "240", "--per-day", "60", "--probe", "40", "--repeat", "1"]


def _bench(*args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH), *args], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _figures(out: str, prefix: str) -> dict[str, tuple[str, str]]:
    """The census rows ``prefix: name  base  main``."""
    rows = {}
    for line in out.splitlines():
        m = re.match(rf"\s+{prefix}: (.+?)\s{{2,}}([\d,]+)\s+([\d,]+)\s*$", line)
        if m:
            rows[m[1]] = (int(m[2].replace(",", "")), int(m[3].replace(",", "")))
    return rows


def _check_store(rows: dict, sizes: tuple[int, int]) -> None:
    assert len(rows) == 10, rows
    for k, generated in enumerate(sizes):
        articles = rows["articles"][k]
        # Exact copies are dropped, everything else is stored: most, never all, never more.
        assert 0.8 * generated < articles < generated
        assert 0 < rows["stories"][k] < articles  # near copies joined their stories
        assert rows["stories with several articles"][k] > 0
        assert rows["story article counts summed"][k] == articles
        assert rows["search rows"][k] == articles and rows["articles not indexed"][k] == 0
        assert rows["articles with bands"][k] == articles and rows["band rows"][k] >= 8 * articles
        assert rows["articles without a story"][k] == 0
        assert rows["search terms"][k] > 1000


def _check_figures(out: str, databases: tuple[str, ...]) -> None:
    assert "stores of 120 (baseline) and 240 generated articles" in out
    m = re.search(r"CPU ms/article \(median of copies\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x \(bar <= 1.30x: (met|NOT met)\)", out)
    assert m and float(m[1]) > 0 and float(m[2]) > 0
    assert re.search(r"`raqib ingest` CPU ms/article \(with start-up\)\s+[\d.]+\s+[\d.]+", out)
    for label in ("raqib ingest (the probe)", "raqib run --once (3 feeds)", "raqib search (largest of the classes)"):
        m = re.search(re.escape(label) + r"\s+(\d+)\s+(\d+)\s+(met|NOT met)", out)
        assert m and 20 < int(m[1]) and 20 < int(m[2]), label  # a Python process with the app loaded
    m = re.search(r"feed requests in run --once\s+(\d+)\s+(\d+)", out)
    assert m and int(m[1]) >= 3 and int(m[2]) >= 3  # the fake feeds were polled
    for db in databases:
        for label in ("rare word", "common word", "very common word", "two words", "phrase"):
            for kind in ("wall", "CPU"):
                m = re.search(rf"{db} {kind}: {label} \((\d+) q\)\s+([\d.]+) / ([\d.]+)\s+([\d.]+) / ([\d.]+)", out)
                assert m and int(m[1]) > 0, (db, kind, label)
    for name in ("base", "main"):
        assert re.search(rf"build {name}: [\d,]+ in [\d,]+ s wall .* ms CPU/article .* 1M at this wall rate: [\d.]+ h", out)


def test_bench_scale_at_tiny_sizes_resumes_and_prints_every_figure(tmp_path):
    """SQLite, and PostgreSQL beside it when the tests have a server (the same articles through the
    same pipeline must make the same store there)."""
    from sqlalchemy import create_engine, text

    store = tmp_path / "stores"
    url = os.environ.get("RAQIB_TEST_POSTGRES_URL")
    prefix = f"bscale_{uuid.uuid4().hex[:10]}"
    pg = ["--database-url", url, "--schema-prefix", prefix] if url else []
    try:
        # A build stopped at 90 of the base store (as if killed after its first chunks) ...
        _bench("--baseline", "90", "--articles", "91", "--per-day", "60", "--store", str(store), "--build-only",
               "--workers", "1", *pg)
        meta = json.loads((store / "base" / "meta.json").read_text())
        assert meta["generated"] == 90 and meta["outcomes"]
        # ... is grown, not rebuilt: the same start date, and every generated article stored once.
        out = _bench(*TINY, "--store", str(store), *pg)
    finally:
        if url:
            engine = create_engine(url)
            with engine.begin() as conn:
                for name in ("base", "main"):
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {prefix}_{name} CASCADE"))
            engine.dispose()
    for folder in ("base", "pg_base") if url else ("base",):
        grown = json.loads((store / folder / "meta.json").read_text())
        assert grown["start"] == meta["start"] and grown["generated"] == 120
        assert sum(grown["outcomes"].values()) == 120  # each generated article had one outcome
    sqlite = _figures(out, "sqlite")
    _check_store(sqlite, (120, 240))
    _check_figures(out, ("sqlite", "postgresql") if url else ("sqlite",))
    if url:
        assert _figures(out, "postgresql") == sqlite
    assert not (store / "base" / "incoming").exists() and not list(store.glob("bench_scale_*"))  # no texts left


def test_corpus_is_deterministic_per_article_with_copies_at_their_rate():
    from datetime import datetime, timezone

    from scale_corpus import Corpus

    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    one, two = Corpus(seed=3, start=start), Corpus(seed=3, start=start)
    late = [two.article(i) for i in (5000, 17, 4999)]  # out of order, other cache state
    assert [one.article(i) for i in (5000, 17, 4999)] == late
    kinds = [one.article(i).kind for i in range(1, 3001)]
    assert 0.005 < kinds.count("exact copy") / 3000 < 0.05 and 0.03 < kinds.count("near copy") / 3000 < 0.15
    texts = [one.article(i).file_text() for i in range(1, 3001)]
    assert len(set(texts)) > 0.95 * 3000  # distinct, but for the exact copies
    assert one.article(1001).published == datetime(2024, 1, 2, tzinfo=timezone.utc)  # 1,000 a day
    assert Corpus(seed=4, start=start).article(10).file_text() != texts[9]


def test_peak_rss_is_the_commands_own_not_inherited_from_the_bench():
    """Linux carries a forking process's peak RSS into its child's across exec: measured as a child
    of a big bench, a small command would seem as big as the bench."""
    import bench_scale

    ballast = bytearray(400 * 1024 * 1024)  # this process: > 400 MB resident
    ballast[::4096] = b"x" * len(ballast[::4096])
    code, peak_mb, cpu_s, out = bench_scale.run_measured([sys.executable, "-c", "print('small')"])
    assert code == 0 and "small" in out and cpu_s >= 0
    assert 1 < peak_mb < 100
    del ballast
