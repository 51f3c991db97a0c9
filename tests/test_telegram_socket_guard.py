"""The socket guard: tests reach 127.0.0.1 (the fake Bot API) and nothing beyond it.

Each test first checks that pytest-socket has patched connect, so even a run without the guard
fails here without a single packet leaving the machine.
"""

from __future__ import annotations

import socket

import httpx
import pytest
import pytest_socket
from pytest_socket import SocketBlockedError, SocketConnectBlockedError

from tests.fake_telegram import TOKEN, FakeTelegram

BLOCKED = (SocketConnectBlockedError, SocketBlockedError)


@pytest.fixture
def guard_on():
    if socket.socket.connect is pytest_socket._true_connect:
        pytest.fail("pytest-socket is not restricting hosts: run with --allow-hosts=127.0.0.1,localhost,::1")


@pytest.mark.parametrize("address", [("149.154.167.220", 443), ("192.0.2.1", 80)])  # Telegram; TEST-NET-1
def test_a_connection_beyond_loopback_is_refused(guard_on, address):
    with pytest.warns(UserWarning), pytest.raises(BLOCKED):
        socket.create_connection(address, timeout=1)


def test_the_official_bot_api_is_unreachable_through_httpx(guard_on):
    with pytest.warns(UserWarning), pytest.raises(BLOCKED):
        httpx.post(f"https://149.154.167.220/bot{TOKEN}/getMe", timeout=1)


def test_loopback_is_allowed(guard_on):
    with FakeTelegram() as fake:
        answer = httpx.post(f"{fake.base_url}{TOKEN}/getMe", timeout=5).json()
    assert answer["ok"] and answer["result"]["username"] == "raqib_test_bot"
