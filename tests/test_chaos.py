"""The chaos suite's quick version (bench/chaos.py --quick): real `raqib` processes killed with -9, a
Bot API that refuses connections, storms 429 and 500, blocks and migrates, and hostile files and feed
items, on SQLite and on PostgreSQL. Each scenario is held to issue 9's bar: 0 lost, duplicates only in
a killed sender's send→mark window, 0 extra stories, 0 tracebacks.

The full run (100 kill trials on SQLite, 20 on PostgreSQL, every scenario) is one command:
``.venv/bin/python bench/chaos.py``.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import POSTGRES_URL, REPO

sys.path.insert(0, str(REPO / "bench"))

import chaos  # noqa: E402

# What runs in `make test`, per database; every defect of issue 9 has a probe here. The 30 s and 15 min
# outages are the 2 h one, shorter (the full run has all three); SQLite alone takes the 5xx storm, the
# blocked chat and the migration, PostgreSQL alone the workers bootstrapping together.
QUICK = {
    "sqlite": ["kill", "outage-2h", "storm-429", "storm-5xx", "blocked-403", "migration", "hostile-files",
               "hostile-feed"],
    "postgresql": ["kill", "bootstrap", "storm-429", "hostile-files", "hostile-feed"],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request) -> str:
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("RAQIB_TEST_POSTGRES_URL not set (.ci/run sets it)")
    return request.param


def test_chaos_quick_meets_the_bar(kind, tmp_path):
    lines: list[str] = []
    results = chaos.run(QUICK[kind], [kind], quick=True, trials={kind: 1}, pg_url=POSTGRES_URL,
                        work=tmp_path, echo=lines.append)
    assert [r.scenario for r in results] == QUICK[kind]
    assert all(r.passed for r in results), "\n".join(lines)


def test_the_harness_sees_what_it_must(tmp_path):
    """The judge itself: a lost pair, a duplicate far from any kill, and a duplicate a few ms before its
    sender was killed are told apart (without this, a PASS could mean a blind harness)."""
    from tests.fake_telegram_recorder import Attempt

    class Fake:
        def __init__(self, log):
            self.log = log

        def delivered(self):
            return self.log

    def alert(worker, chat, report, at):
        return Attempt(worker, chat, f"<b>h</b>\n<code>/x/in0/{report:04d}_r{report:04d}_orig.txt</code>", 200, at)

    class Rig:
        kills = [chaos.Kill("deliver1", 100.020)]

    expected = {(1, 0), (1, 1), (2, 0)}
    fake = Fake([alert(0, 1, 0, 10.0), alert(0, 1, 0, 50.0),  # twice, its sender never killed
                 alert(1, 1, 1, 100.0), alert(0, 1, 1, 103.0)])  # twice, 20 ms before deliver1's kill
    t = chaos.tally(fake, expected)  # type: ignore[arg-type]
    assert t.lost == {(2, 0)}
    result = chaos.Result("kill", "sqlite")
    chaos.judge_delivery(result, t, Rig(), allow_kills=True)  # type: ignore[arg-type]
    assert result.figures["lost"] == 1 and result.figures["duplicated"] == 2
    assert result.figures["dup_ms"] == "20"
    assert any("never killed" in f for f in result.failures) and "deliver0" in " ".join(result.evidence)
    assert not any("0001_r0001" in f for f in result.failures)  # inside the window: allowed

    # An extra story of one report is caught even when nothing is lost or doubled.
    extra = Fake([alert(0, 1, 0, 1.0), Attempt(0, 1, "<code>/x/in1/0000_r0000_trim.txt</code>", 200, 2.0)])
    assert chaos.tally(extra, {(1, 0)}).extra_alerts == 1  # type: ignore[arg-type]
