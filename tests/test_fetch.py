"""The safe fetcher against a real HTTP server on 127.0.0.1: address checks, redirects, caps,
timeouts, conditional GET. Only 127.0.0.1 is reachable in tests, so the refusals of other
addresses are checked before any connection (a connection attempt would fail the socket guard)."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress

import pytest

from bot.sources.fetch import FetchError, FetchPolicy, FetchRefused, SafeFetcher, _blocked, parse_allowlist
from tests.fake_feeds import FakeFeeds, gzip_bomb

LOCAL = ("127.0.0.1",)


def fetch(policy: FetchPolicy, url: str, **kw):
    async def go():
        async with SafeFetcher(policy) as f:
            return await f.fetch(url, **kw)

    return asyncio.run(go())


@pytest.fixture
def server():
    with FakeFeeds() as s:
        yield s


@pytest.mark.parametrize(
    "url, why",
    [
        ("ftp://127.0.0.1/feed", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://x/", "only http and https"),
        ("http://user:pw@example.com/", "credentials"),
        ("http:///nohost", "without a host"),
    ],
)
def test_schemes_other_than_http_are_refused(url, why):
    with pytest.raises(FetchRefused, match=why):
        fetch(FetchPolicy(), url)


@pytest.mark.parametrize(
    "host, kind",
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local/metadata"),
        ("[fe80::1]", "link-local"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "non-public"),
        ("100.64.0.1", "non-public"),
    ],
)
def test_private_and_metadata_addresses_are_refused_before_connecting(host, kind):
    with pytest.raises(FetchRefused, match=kind):
        fetch(FetchPolicy(), f"http://{host}/latest/meta-data/")


def test_public_address_is_not_blocked():
    assert _blocked(ipaddress.ip_address("8.8.8.8")) is None
    assert _blocked(ipaddress.ip_address("2a00:1450:4001::1")) is None


def test_host_name_resolving_to_loopback_is_refused():
    with pytest.raises(FetchRefused, match="localhost resolves to a loopback address"):
        fetch(FetchPolicy(), "http://localhost:9/feed")


def test_allowlist_takes_hosts_and_cidrs():
    hosts, nets = parse_allowlist(["127.0.0.0/8", "Feeds.Local.", " ", "::1"])
    assert hosts == {"feeds.local"}
    assert ipaddress.ip_address("127.9.9.9") in nets[0] and ipaddress.ip_address("::1") in nets[1]


def test_allowed_loopback_fetches_and_sends_validators(server):
    server.add("/f", body=b"<rss/>", etag='"v1"', last_modified="Wed, 13 Aug 2025 08:00:00 GMT")
    policy = FetchPolicy.with_allowlist(LOCAL)
    first = fetch(policy, server.url("/f"))
    assert first.status == 200 and first.body == b"<rss/>" and first.headers["etag"] == '"v1"'
    again = fetch(policy, server.url("/f"), etag='"v1"', last_modified="Wed, 13 Aug 2025 08:00:00 GMT")
    assert again.not_modified and again.body == b""
    sent = server.hits("/f")[-1]
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"].startswith("Wed, 13 Aug 2025")
    assert "raqib" in sent["User-Agent"]


def test_redirects_are_followed_and_rechecked(server):
    server.add("/a", redirect="/b")
    server.add("/b", redirect=server.url("/c"))
    server.add("/c", body=b"ok")
    result = fetch(FetchPolicy.with_allowlist(LOCAL), server.url("/a"))
    assert result.body == b"ok" and result.url == server.url("/c") and len(result.redirects) == 2
    # A redirect from an allowed host to a private one is refused at the hop.
    server.add("/evil", redirect="http://169.254.169.254/latest/meta-data/")
    with pytest.raises(FetchRefused, match="169.254.169.254 resolves to a link-local"):
        fetch(FetchPolicy.with_allowlist(LOCAL), server.url("/evil"))
    server.add("/ftp", redirect="ftp://127.0.0.1/x")
    with pytest.raises(FetchRefused, match="only http and https"):
        fetch(FetchPolicy.with_allowlist(LOCAL), server.url("/ftp"))


def test_redirect_chain_is_capped(server):
    for i in range(10):
        server.add(f"/r{i}", redirect=f"/r{i + 1}")
    server.add("/r10", body=b"end")
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        fetch(FetchPolicy.with_allowlist(LOCAL, max_redirects=3), server.url("/r0"))
    assert len(server.hits("/r4")) == 0  # stopped at the cap, nothing further requested


def test_declared_oversize_body_is_refused_and_endless_body_stops_at_cap(server):
    server.add("/big", body=b"x" * 50_000)
    with pytest.raises(FetchRefused, match="50000 bytes is over the 10000-byte limit"):
        fetch(FetchPolicy.with_allowlist(LOCAL, max_bytes=10_000), server.url("/big"))
    server.add("/endless", endless=True)
    with pytest.raises(FetchRefused, match="over the 1000000-byte limit"):
        fetch(FetchPolicy.with_allowlist(LOCAL, max_bytes=1_000_000), server.url("/endless"))


def test_gzip_is_decoded_and_a_gzip_bomb_stops_at_the_cap(server):
    server.add("/gz", body="خبر عاجل".encode() * 100, gzip=True)
    assert fetch(FetchPolicy.with_allowlist(LOCAL), server.url("/gz")).body == "خبر عاجل".encode() * 100
    bomb = gzip_bomb(200_000_000)
    assert len(bomb) < 1_000_000
    server.add("/bomb", raw_gzip=bomb)
    with pytest.raises(FetchRefused, match="decompressed body over the 2000000-byte limit"):
        fetch(FetchPolicy.with_allowlist(LOCAL, max_bytes=2_000_000), server.url("/bomb"))


def test_corrupt_gzip_is_a_clear_error(server):
    server.add("/badgz", raw_gzip=gzip.compress(b"hello")[:8] + b"garbage!!")
    with pytest.raises(FetchError, match="corrupt compressed body"):
        fetch(FetchPolicy.with_allowlist(LOCAL), server.url("/badgz"))


def test_slow_server_hits_the_read_and_total_timeouts(server):
    server.add("/slow", body=b"late", delay=1.5)
    with pytest.raises(FetchError, match="timed out"):
        fetch(FetchPolicy.with_allowlist(LOCAL, read_timeout=0.3), server.url("/slow"))
    with pytest.raises(FetchError, match="timed out after 0.5s in total"):
        fetch(FetchPolicy.with_allowlist(LOCAL, read_timeout=10, total_timeout=0.5), server.url("/slow"))


def test_connection_refused_is_an_error_not_a_crash():
    with pytest.raises(FetchError) as info:
        fetch(FetchPolicy.with_allowlist(LOCAL, connect_timeout=1), "http://127.0.0.1:9/feed")
    assert not isinstance(info.value, FetchRefused) and info.value.reason
