"""A fork server for bench/chaos.py: imports raqib once, then forks one real process per command.

Starting a Python interpreter and importing raqib costs seconds of CPU, and a kill -9 trial starts five
to eight processes; forking from an interpreter that already imported ``bot.cli.main`` (as gunicorn's
preload does) makes each start cheap. Each child is an ordinary OS process in its own session (so
``killpg`` reaches it and nothing else), with its own environment, stderr log and database
connections (none exist before the fork), running exactly ``raqib ARGS`` through ``bot.cli.main.main``.

Protocol, one JSON object per line on stdin, one answer per line on stdout:
  {"op": "spawn", "argv": [...], "env": {...}, "log": PATH}  →  {"pid": N}
  {"op": "poll", "pid": N}                                   →  {"rc": null | exit status}
A status is the child's exit code, or minus the signal that ended it (as subprocess reports it).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import bot.cli.main  # noqa: E402  - the expensive import, once
import bot.delivery.worker  # noqa: E402,F401 - bot.app imports these three where they are used (issue 14)
import bot.sources.feed_poller  # noqa: E402,F401
import bot.pipeline  # noqa: E402,F401
import bot.sources.files  # noqa: E402,F401
import bot.scheduler  # noqa: E402,F401 - imported lazily by `raqib run`
import bot.transports.discord  # noqa: E402,F401
import bot.transports.telegram  # noqa: E402,F401
import tqdm  # noqa: E402,F401 - the progress bar of `raqib ingest`


def die_with_parent() -> None:
    """Linux: be killed when the process that started us dies (no orphans, even after a kill -9)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _child(req: dict) -> None:
    rc = 1
    try:
        os.setsid()
        die_with_parent()
        devnull = os.open(os.devnull, os.O_RDWR)
        log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(log, 2)
        os.chdir(REPO)
        os.environ.clear()
        os.environ.update(req["env"])
        rc = bot.cli.main.main(req["argv"])
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - printed, as an uncaught exception would be
        traceback.print_exc()
        rc = 1
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(rc if isinstance(rc, int) else 1)


def main() -> None:
    die_with_parent()
    exited: dict[int, int] = {}
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        req = json.loads(line)
        if req["op"] == "spawn":
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                _child(req)
            answer: dict = {"pid": pid}
        elif req["op"] == "poll":
            pid = req["pid"]
            if pid not in exited:
                try:
                    done, status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done, status = pid, 0
                if done:
                    exited[pid] = os.waitstatus_to_exitcode(status)
            answer = {"rc": exited.get(pid)}
        else:
            answer = {"error": f"unknown op {req['op']!r}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
