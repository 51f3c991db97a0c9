"""Every shell command in README.md is run (issue 14, part 2), in order, in a copy of the checkout,
with the fake Bot API and the fake Discord REST API standing in for the real ones.

A fenced ``sh`` block runs as one bash script (``set -e``: the first failing line fails it, and is
named). A block the test cannot run carries a marker just above it, visible in the README's source
only, and the marker must give its reason:

    <!-- readme-test: skip -- REASON -->                the whole block
    <!-- readme-test: skip-line PREFIX -- REASON -->    the block's lines that start with PREFIX

What the test supplies, as a reader would: the message the reader sends their new bot before
`raqib whoami` (from the README's example user id), the fake servers' addresses
(RAQIB_TELEGRAM_BASE_URL, RAQIB_DISCORD_API_BASE, so nothing reaches the internet), and for the
PostgreSQL block a private schema of RAQIB_TEST_POSTGRES_URL in place of the README's example URL.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fake_discord import APP_ID, FakeDiscord
from tests.fake_telegram import FakeTelegram

README = REPO / "README.md"
SHELLS = ("sh", "bash", "shell", "console")
MARKER = re.compile(r"^<!--\s*readme-test:\s*(?P<kind>[\w-]+)(?P<arg>[^-]*?)\s*--\s*(?P<reason>.*?)\s*-->\s*$")
# The README's example values a reader replaces with their own; the fakes answer to the same ones.
TELEGRAM_TOKEN = "123456789:AAE-token-from-BotFather"
TELEGRAM_USER = 123456789
DISCORD_TOKEN = "your-discord-bot-token"
POSTGRES_EXAMPLE = "postgresql+psycopg://raqib:secret@localhost:5432/raqib"


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    commands: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (command or "*", reason)

    @property
    def runnable(self) -> list[str]:
        return [c for c in self.commands if not any(s in ("*", c) for s, _ in self.skipped)]


class MarkerError(ValueError):
    pass


def parse(text: str) -> list[Block]:
    """The README's shell blocks with their markers; a malformed marker or one without a reason
    is an error, so a skip cannot go unexplained."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: list[tuple[str, str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("<!--") and "readme-test" in line:
            m = MARKER.match(line)
            if m is None or not m.group("reason"):
                raise MarkerError(f"README.md:{i + 1}: marker needs `kind [arg] -- reason`: {line}")
            if m.group("kind") not in ("skip", "skip-line"):
                raise MarkerError(f"README.md:{i + 1}: unknown marker {m.group('kind')!r}")
            pending.append((m.group("kind"), m.group("arg").strip(), m.group("reason")))
            i += 1
            continue
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence is None:
            if line.strip():
                pending = []  # a marker belongs to the block right below it
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if fence.group(1) not in SHELLS:
            pending = []
            continue
        commands = [c for c in _join_continuations(body) if c.strip() and not c.lstrip().startswith("#")]
        block = Block(start + 1, commands)
        for kind, arg, reason in pending:
            if kind == "skip":
                block.skipped.append(("*", reason))
                continue
            hit = [c for c in commands if c.startswith(arg)]
            if not arg or not hit:
                raise MarkerError(f"README.md:{start}: skip-line {arg!r} matches no command of the block")
            block.skipped += [(c, reason) for c in hit]
        pending = []
        blocks.append(block)
    return blocks


def _join_continuations(body: list[str]) -> list[str]:
    out: list[str] = []
    for line in body:
        if out and out[-1].endswith("\\"):
            out[-1] = out[-1][:-1] + line.strip()
        else:
            out.append(line)
    return out


def test_every_shell_block_is_run_or_says_why_not():
    blocks = parse(README.read_text(encoding="utf-8"))
    assert blocks, "no shell block found in README.md"
    runnable = [c for b in blocks for c in b.runnable]
    # The quick start's promise: the demo, Telegram, Discord, webhooks, PostgreSQL, watchlists.
    for needed in ("make demo", "raqib init", "raqib whoami", "raqib discord invite",
                   "raqib subscriptions add 'discord-webhook:", "raqib db upgrade", "raqib watchlists import"):
        assert any(needed in c for c in runnable), f"the README runs no `{needed}`"
    for b in blocks:
        for command, reason in b.skipped:
            assert len(reason.split()) >= 3, f"README.md:{b.line}: say why {command!r} is not run"


def test_markers_without_a_reason_are_refused():
    with pytest.raises(MarkerError):
        parse("<!-- readme-test: skip -->\n```sh\nmake demo\n```\n")
    with pytest.raises(MarkerError):
        parse("<!-- readme-test: skip-line make nothing -- because no line says that -->\n```sh\nmake demo\n```\n")
    blocks = parse("<!-- readme-test: skip-line make test -- the suite itself runs elsewhere -->\n"
                   "```sh\nmake demo   # comment\nmake test\n```\n")
    assert blocks[0].runnable == ["make demo   # comment"]


def _checkout_copy(folder: Path) -> Path:
    """The files the README's commands read, and the installed .venv (linked, never rebuilt)."""
    work = folder / "raqib"
    work.mkdir()
    for name in ("config.example.toml", "Makefile", "README.md"):
        shutil.copy2(REPO / name, work / name)
    shutil.copytree(REPO / "seeds", work / "seeds")
    shutil.copy2(REPO / "pyproject.toml", work / "pyproject.toml")
    os.utime(work / "pyproject.toml", (0, 0))  # older than .venv/.installed: make keeps the venv
    (work / ".venv").symlink_to(REPO / ".venv")
    return work


def _pg_url() -> str | None:
    base = os.environ.get("RAQIB_TEST_POSTGRES_URL")
    if not base:
        return None
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _drop_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    schema = url.rsplit("%3D", 1)[1]
    admin = create_engine(os.environ["RAQIB_TEST_POSTGRES_URL"])
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.mark.skipif(not (REPO / ".venv" / ".installed").exists(), reason="needs the installed .venv (make install)")
def test_readme_commands_run(tmp_path):
    blocks = parse(README.read_text(encoding="utf-8"))
    work = _checkout_copy(tmp_path)
    # Safety first: `make demo` must reuse the linked .venv, never reinstall raqib from the copy.
    plan = subprocess.run(["make", "-n", "demo"], cwd=work, capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0 and "pip" not in plan.stdout and "venv" not in plan.stdout.replace(".venv/", ""), plan.stdout

    pg_url = _pg_url()
    outputs: dict[str, str] = {}
    ran = 0
    with FakeTelegram(token=TELEGRAM_TOKEN) as telegram, FakeDiscord(token=DISCORD_TOKEN) as discord:
        telegram.send_text("/start", user_id=TELEGRAM_USER, username="reader")  # "send your new bot any message"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
            "RAQIB_TELEGRAM_BASE_URL": telegram.base_url, "RAQIB_DISCORD_API_BASE": discord.api_base,
        }
        try:
            for block in blocks:
                commands = block.runnable
                if not commands:
                    continue
                script = "\n".join(commands)
                if POSTGRES_EXAMPLE in script:
                    if pg_url is None:
                        continue  # RAQIB_TEST_POSTGRES_URL unset: the PostgreSQL tests are skipped too
                    script = script.replace(POSTGRES_EXAMPLE, pg_url)
                done = subprocess.run(
                    ["bash", "-c", "set -eo pipefail\ntrap 'echo \"README command failed: $BASH_COMMAND\" >&2' ERR\n"
                     + script],
                    cwd=work, env=env, capture_output=True, text=True, timeout=600,
                )
                assert done.returncode == 0, (
                    f"README.md:{block.line}: exit {done.returncode}\n{done.stderr[-3000:]}\n{done.stdout[-1000:]}")
                assert "Traceback" not in done.stderr, f"README.md:{block.line}:\n{done.stderr[-3000:]}"
                outputs[script] = done.stdout + done.stderr
                ran += 1
        finally:
            if pg_url is not None:
                _drop_schema(pg_url)

    everything = "\n".join(outputs.values())
    assert ran >= 5
    assert "كورسك" in everything  # the demo's alerts and the watchlists
    assert f"user id {TELEGRAM_USER} @reader" in everything  # whoami found the reader
    assert f"client_id={APP_ID}" in everything  # the invite URL names the fake's application
    assert "discord-webhook:123456789012345678" in everything and "your-webhook-token" not in everything
    assert (work / "config.toml").is_file() and (work / "my-watchlists.toml").is_file()
