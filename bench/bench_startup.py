"""Start-up time of `raqib` commands, beside `python -c pass` (the interpreter's own floor).

Each command runs as its own process, the way a user types it, against a temporary SQLite store
that holds the seeds (ingested once before timing, so `stories` and `search` have rows to show).
The figures are the median of ``--runs`` (5) runs: wall time, and the CPU time of the process
(user + system), which a machine busy with other work does not inflate. The bar for `watchlists`,
`stories` and `search` is one second (issue 14), judged on the CPU time; on an idle machine the
wall time is that plus a few milliseconds of I/O. What keeps them there: a command imports only
what it needs (no date parsers, chat-platform SDKs, feed or page parsers, charts), and a store
already at the newest migration is not handed to Alembic.

Run from the repo root: ``.venv/bin/python bench/bench_startup.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
FAST = ("watchlists", "stories", "search")  # the commands held to the one-second bar
BAR_S = 1.0


def raqib_command() -> list[str]:
    """The installed console script beside this interpreter, else the module's entry point."""
    script = Path(sys.executable).parent / "raqib"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bot.cli.main import main; sys.exit(main())"]


def write_config(folder: Path) -> Path:
    """config.example.toml with the store, seeds and watchlists pointed at absolute paths."""
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///var/raqib.db"', f'url = "sqlite:///{folder / "raqib.db"}"')
    text = text.replace('watchlists = "seeds/watchlists.toml"', f'watchlists = "{REPO / "seeds" / "watchlists.toml"}"')
    text = text.replace('path = "seeds"', f'path = "{REPO / "seeds"}"')
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Failed(Exception):
    """The command exited non-zero: its time means nothing."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; the CPU time hardly moves when the machine is busy."""
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise Failed(f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1][:200] if done.stderr.strip() else ''}")
    return elapsed, _children_cpu() - cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="raqib-startup-"))
    try:
        config = write_config(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
        env["RAQIB_CONFIG"] = str(config)
        raqib = raqib_command()
        seed = next(iter(sorted((REPO / "seeds").glob("*.txt"))))
        subprocess.run([*raqib, "ingest", str(REPO / "seeds")], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        commands: list[tuple[str, list[str]]] = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("raqib --help", [*raqib, "--help"]),
            ("raqib watchlists", [*raqib, "watchlists"]),
            ("raqib watchlists export", [*raqib, "watchlists", "export"]),
            ("raqib stories", [*raqib, "stories"]),
            ("raqib search روسيا", [*raqib, "search", "روسيا"]),
            ("raqib subscriptions list", [*raqib, "subscriptions", "list"]),
            ("raqib outbox status", [*raqib, "outbox", "status"]),
            ("raqib explain SEED", [*raqib, "explain", str(seed)]),
            ("raqib timeline dprk-russia", [*raqib, "timeline", "dprk-russia"]),
        ]
        results: dict[str, float | str] = {}
        cpu: dict[str, float] = {}
        for label, argv in commands:
            try:
                timed(argv, env)  # warm the page cache and the .pyc files once, untimed
                runs = [timed(argv, env) for _ in range(args.runs)]
            except Failed as exc:
                results[label] = str(exc)
                continue
            results[label] = median(wall for wall, _ in runs)
            cpu[label] = median(c for _, c in runs)
        floor = float(results["python -c pass"])
        print(f"start-up time, median of {args.runs} runs (bar for {', '.join(FAST)}: < {BAR_S:.1f} s of CPU); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'command':32} {'wall s':>8} {'over python':>12} {'cpu s':>7}")
        failed = []
        for label, seconds in results.items():
            word = label.split()[1] if label.startswith("raqib ") else ""
            if isinstance(seconds, str):
                print(f"{label:32} {'failed':>8}  {seconds}")
                failed.append(label)
                continue
            verdict = ""
            if word in FAST:
                verdict = "ok" if cpu[label] < BAR_S else "OVER THE BAR"
                if cpu[label] >= BAR_S:
                    failed.append(label)
            print(f"{label:32} {seconds:8.3f} {seconds - floor:12.3f} {cpu[label]:7.3f}  {verdict}")
        return 1 if failed else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
