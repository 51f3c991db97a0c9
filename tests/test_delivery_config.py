"""[delivery] give_up_after_hours: validated, overridable from the environment, fractional for tests,
and what the App's worker is built with; max_attempts is retired but old configs still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.config import ConfigError, load_config
from tests.conftest import write_config

REPO = Path(__file__).resolve().parents[1]


def test_default_is_a_day_and_the_example_documents_it():
    cfg = load_config(REPO / "config.example.toml", env={})
    assert cfg.give_up_after_hours == 24.0
    assert "give_up_after_hours" in (REPO / "config.example.toml").read_text(encoding="utf-8")


def test_file_value_env_override_and_fractions(tmp_path):
    path = write_config(tmp_path, "sqlite:///a.db", delivery="give_up_after_hours = 2.5\nmax_attempts = 3\n")
    assert load_config(path, env={}).give_up_after_hours == 2.5
    cfg = load_config(path, env={"RAQIB_DELIVERY_GIVE_UP_AFTER_HOURS": "0.001"})
    assert cfg.give_up_after_hours == 0.001


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan"])
def test_bad_values_name_the_key(tmp_path, value):
    path = write_config(tmp_path, "sqlite:///a.db")
    with pytest.raises(ConfigError, match="RAQIB_DELIVERY_GIVE_UP_AFTER_HOURS"):
        load_config(path, env={"RAQIB_DELIVERY_GIVE_UP_AFTER_HOURS": value})


def test_the_worker_gets_the_age_and_the_telegram_owners(tmp_path, db_url):
    extra = "[telegram]\nowners = [501, 77]\n"
    path = write_config(tmp_path, db_url, extra=extra, delivery="give_up_after_hours = 0.5\nbackoff_max = 90\n")
    app = App(load_config(path, env={}))
    try:
        worker = app.worker({})
        assert worker._policy.give_up_after_s == 1800 and worker._policy.max_s == 90
        assert worker._owners == ["telegram:77", "telegram:501"]
    finally:
        app.close()
