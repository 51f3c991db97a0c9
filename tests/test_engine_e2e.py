"""End to end through the real CLI: seeds in, Arabic alerts out, nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path


from bot.cli.main import main
from tests.conftest import REPO, write_config

SEED_IDS = ["000", "001", "002", "003", "004"]


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _run(config: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args, "--config", str(config)],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, **(env or {})}, timeout=120,
    )


def _seed_source(tmp_path: Path) -> str:
    return f'[[sources]]\nname = "seeds"\npath = "{REPO / "seeds"}"\ninterval = 300\n'


def _okaz_article(tmp_path: Path) -> Path:
    """A real 2015 Okaz piece that names North Korea and Moscow: new and unlike every seed."""
    from tests.conftest import SHARED_DATA

    with zipfile.ZipFile(SHARED_DATA / "saudinewsnet" / "2015-08-04.zip") as zf:
        items = json.loads(zf.read(zf.namelist()[0]))
    item = next(a for a in items if a["title"].startswith("قرار امتلاك الرادع"))
    path = tmp_path / "okaz.txt"
    path.write_text(f"{item['title']}\n{item['content']}\n", encoding="utf-8")
    return path


def test_run_once_prints_every_alert_once_then_nothing(tmp_path, db_url):
    config = write_config(tmp_path, db_url, extra=_seed_source(tmp_path))
    first = _run(config, "run", "--once", "--format", "jsonl")
    assert first.returncode == 0, first.stderr
    alerts = _jsonl(first.stdout)
    by_topic: dict[str, list[dict]] = {}
    for a in alerts:
        by_topic.setdefault(a["topic"], []).append(a)
        assert set(a) == {"chat", "topic", "story_id", "headline", "summary", "url", "source", "published", "matched"}
    files = lambda topic: sorted(Path(a["url"]).name[:3] for a in by_topic[topic])  # noqa: E731
    assert files("dprk-russia") == SEED_IDS
    assert files("kursk") == ["000", "002", "004"]
    assert {a["chat"] for a in by_topic["dprk-russia"]} == {"console:korea-desk"}
    assert {a["chat"] for a in by_topic["kursk"]} == {"console:kursk-desk"}
    for a in alerts:
        assert a["headline"] and a["summary"] and len(a["summary"]) <= 550
        assert a["matched"] and a["source"] == "seeds"
        assert "شاهد ايضاً" not in a["summary"] and "اترك تعليقاً" not in a["summary"]
    kursk_terms = {t for a in by_topic["kursk"] for t in a["matched"]}
    assert kursk_terms == {"كورسك"}
    assert by_topic["kursk"][0]["published"].endswith("+03:00")  # shown in the configured zone

    second = _run(config, "run", "--once", "--format", "jsonl")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == ""
    assert "5 duplicate" in second.stderr


def test_text_format_is_human_readable_arabic(tmp_path, db_url, capsys):
    config = write_config(tmp_path, db_url, extra=_seed_source(tmp_path))
    assert main(["run", "--once", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert out.count("[dprk-russia]") == 5 and out.count("[kursk]") == 3
    assert "بوتين لكيم: صداقة روسيا وكوريا الشمالية لا تُقهر وسط الحرب" in out  # original spelling kept
    assert "المصدر: seeds" in out


def test_ingest_near_duplicate_alerts_nobody_and_new_article_alerts_once(tmp_path, db_url, capsys):
    config = write_config(tmp_path, db_url)
    assert main(["ingest", str(REPO / "seeds"), "--config", str(config), "--format", "jsonl"]) == 0
    assert len(_jsonl(capsys.readouterr().out)) == 8

    seed = (REPO / "seeds" / "002_00b06d22c5d2f91c.txt").read_text(encoding="utf-8")
    lines = [l for l in seed.splitlines() if l.strip()]
    variant = tmp_path / "republished.txt"
    # Another outlet's copy: new headline, its own banner, last paragraph cut, no footer.
    variant.write_text(
        "عزيزي الزائر، نرحب بك في موقع الخبر اليوم\nبوتين يشيد بالتحالف مع بيونج يانج\n" + "\n".join(lines[3:-4]),
        encoding="utf-8",
    )
    assert main(["ingest", str(variant), "--config", str(config), "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == ""
    assert "1 near-duplicate" in captured.err

    okaz = _okaz_article(tmp_path)
    assert main(["ingest", str(okaz), "--config", str(config), "--format", "jsonl"]) == 0
    alerts = _jsonl(capsys.readouterr().out)
    assert [(a["topic"], a["url"]) for a in alerts] == [("dprk-russia", str(okaz))]

    assert main(["stories", "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert listing.count("\n") == 6 and "(2 articles" in listing


def test_broken_files_are_skipped_and_the_rest_ingested(tmp_path, db_url):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "good.txt").write_text((REPO / "seeds" / "004_395fba7793f6db4e.txt").read_text("utf-8"), "utf-8")
    config = write_config(tmp_path, db_url)
    result = _run(config, "ingest", str(folder), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert {a["topic"] for a in _jsonl(result.stdout)} == {"dprk-russia", "kursk"}
    skipped = [l for l in result.stderr.splitlines() if "empty.txt" in l or "binary.txt" in l]
    assert len(skipped) == 2 and "Traceback" not in result.stderr


def test_explain_names_the_terms_of_each_rule(tmp_path, db_url, capsys):
    config = write_config(tmp_path, db_url)
    assert main(["explain", str(REPO / "seeds" / "001_c265a47f7a7cc149.txt"), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "dprk-russia" in out and "kursk" in out
    assert "كورسك" in out  # the kursk term that did not match is named
    assert main(["explain", str(REPO / "seeds" / "004_395fba7793f6db4e.txt"), "--topic", "kursk", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "كورسك" in out and "dprk-russia" not in out


def test_subscriptions_and_watchlists_commands(tmp_path, db_url, capsys):
    config = write_config(tmp_path, db_url)
    assert main(["subscriptions", "add", "telegram:-1001", "kursk", "--config", str(config)]) == 0
    assert main(["subscriptions", "add", "telegram:-1001", "kursk", "--config", str(config)]) == 0
    assert "already subscribed" in capsys.readouterr().out
    assert main(["subscriptions", "list", "--config", str(config)]) == 0
    assert "telegram:-1001" in capsys.readouterr().out
    assert main(["subscriptions", "remove", "telegram:-1001", "kursk", "--config", str(config)]) == 0
    assert "unsubscribed" in capsys.readouterr().out
    assert main(["subscriptions", "list", "telegram:-1001", "--config", str(config)]) == 0
    assert "telegram:-1001" not in capsys.readouterr().out
    assert main(["subscriptions", "add", "telegram:1", "no-such-topic", "--config", str(config)]) == 2
    assert main(["subscriptions", "add", "irc:#x", "kursk", "--config", str(config)]) == 2
    assert "no watchlist" in capsys.readouterr().err

    assert main(["watchlists", "--config", str(config)]) == 0
    assert {"dprk-russia", "kursk"} <= {l.split()[0] for l in capsys.readouterr().out.splitlines()}
    assert main(["watchlists", "dprk-russia", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    assert "rule 1 (one of)" in shown and "rule 2 (one of)" in shown and "all[" not in shown and "روسيا" in shown


def test_bad_config_fails_at_start_naming_the_key(tmp_path):
    config = write_config(tmp_path, "sqlite:///x.db", extra='[console]\nformat = "xml"\n')
    result = _run(config, "run", "--once")
    assert result.returncode == 2 and "console.format" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_is_idempotent(tmp_path, db_url, capsys):
    config = write_config(tmp_path, db_url)
    from alembic.script import ScriptDirectory

    from storage.db import _alembic_config, make_engine

    engine = make_engine(db_url)
    (head,) = ScriptDirectory.from_config(_alembic_config(engine)).get_heads()  # one head: branches merged
    engine.dispose()
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert capsys.readouterr().out.count(f"database at revision {head}\n") == 2


def test_run_forever_delivers_then_stops_cleanly_on_ctrl_c(tmp_path):
    config = write_config(
        tmp_path, f"sqlite:///{tmp_path / 'r.db'}", extra=_seed_source(tmp_path), delivery="interval = 1\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run", "--format", "jsonl", "--config", str(config), "-v"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 90
    try:
        while len(lines) < 8 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line:
                lines.append(line)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert len(lines) == 8, err
    assert proc.returncode == 0, err
    assert "stopped cleanly" in err and "Traceback" not in err
    again = _run(config, "run", "--once", "--format", "jsonl")
    assert again.stdout.strip() == ""  # everything was recorded as sent before the stop
