"""Fetching untrusted URLs safely: the one way raqib reads from the web.

Every request goes through ``SafeFetcher.fetch``: http(s) only; the host is resolved and
loopback, private, link-local (cloud metadata), multicast and reserved addresses are refused unless
the allowlist names them; redirects are followed by hand so each hop is checked again, and capped;
the body is read raw and decompressed here, so the cap applies before and after decompression (a
gzip bomb stops at the cap); connect, read and total timeouts bound a slow server.

Known gap: the address is checked, then httpx resolves the name again when it connects, so a DNS
server that answers differently within milliseconds (rebinding) could slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import zlib
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import urljoin, urlsplit

import httpx

log = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "raqib/0.1 (+Arabic news watchlists; polite feed reader)"


class FetchError(Exception):
    """A fetch that did not give a usable response; ``reason`` is one line for the log and /feed status."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchRefused(FetchError):
    """Refused by policy before or while fetching (address, scheme, size, redirects)."""


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    user_agent: str = USER_AGENT

    @classmethod
    def with_allowlist(cls, entries: Iterable[str], **kw) -> "FetchPolicy":
        """Entries are host names or IP addresses/CIDRs ("127.0.0.1", "10.0.0.0/8", "feeds.local")."""
        hosts, nets = parse_allowlist(entries)
        return cls(allow_hosts=hosts, allow_networks=nets, **kw)


def parse_allowlist(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    hosts: set[str] = set()
    nets: list[IPNetwork] = []
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.rstrip("."))
    return frozenset(hosts), tuple(nets)


@dataclass
class FetchResult:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes = b""
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_scheme(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or FetchRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchRefused(f"refused: not a valid URL: {url[:200]!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"refused: only http and https URLs, not {scheme or 'no scheme'!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused("refused: URL without a host")
    if parts.username or parts.password:
        raise FetchRefused("refused: credentials in the URL")
    return scheme, host, port or (443 if scheme == "https" else 80)


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local/metadata"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "non-public"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


class SafeFetcher:
    """An httpx client plus the guards; one per process (it pools connections)."""

    def __init__(self, policy: FetchPolicy | None = None, *, client: httpx.AsyncClient | None = None) -> None:
        self.policy = policy or FetchPolicy()
        p = self.policy
        self._client = client or httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(p.read_timeout, connect=p.connect_timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            trust_env=False,  # a proxy from the environment would bypass the address checks
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> "SafeFetcher":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def check_url(self, url: str) -> None:
        """Refuse a URL whose scheme or resolved addresses the policy does not allow."""
        _, host, port = check_scheme(url)
        if host.lower() in self.policy.allow_hosts:
            return
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
            addresses = [literal]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as exc:
                raise FetchError(f"cannot resolve {host}: {exc}") from None
            addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        for ip in addresses:
            if any(ip in net for net in self.policy.allow_networks):
                continue
            kind = _blocked(ip)
            if kind:
                raise FetchRefused(f"refused: {host} resolves to a {kind} address ({ip})")

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, accept: str | None = None
    ) -> FetchResult:
        """GET ``url`` under the policy; raises FetchError/FetchRefused with a one-line reason."""
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                return await self._fetch(url, etag, last_modified, accept)
        except TimeoutError:
            raise FetchError(f"timed out after {self.policy.total_timeout:g}s in total") from None
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {str(exc)[:200] or 'connection failed'}") from None

    async def _fetch(self, url: str, etag: str | None, last_modified: str | None, accept: str | None) -> FetchResult:
        headers = {"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate"}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hops: list[str] = []
        current = url
        while True:
            await self.check_url(current)
            request = self._client.build_request("GET", current, headers=headers)
            response = await self._client.send(request, stream=True)
            try:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    if len(hops) >= self.policy.max_redirects:
                        raise FetchRefused(f"refused: more than {self.policy.max_redirects} redirects")
                    hops.append(current)
                    current = urljoin(current, response.headers["location"])
                    continue
                body = b"" if response.status_code == 304 else await self._read(response)
                return FetchResult(current, response.status_code, response.headers, body, hops)
            finally:
                await response.aclose()

    async def _read(self, response: httpx.Response) -> bytes:
        cap = self.policy.max_bytes
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > cap:
            raise FetchRefused(f"refused: body of {int(length)} bytes is over the {cap}-byte limit")
        decoder = _Decoder(response.headers.get("content-encoding", ""), cap)
        raw = 0
        async for chunk in response.aiter_raw():
            raw += len(chunk)
            if raw > cap:
                raise FetchRefused(f"refused: body over the {cap}-byte limit")
            decoder.feed(chunk)
        return decoder.finish()


class _Decoder:
    """gzip/deflate decompression that never produces more than ``cap`` bytes."""

    def __init__(self, encoding: str, cap: int) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
        else:
            raise FetchRefused(f"refused: unsupported content encoding {encoding[:30]!r}")
        self._cap = cap
        self._parts: list[bytes] = []
        self._size = 0

    def _add(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._cap:
            raise FetchRefused(f"refused: decompressed body over the {self._cap}-byte limit")
        self._parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._add(chunk)
            return
        data = chunk
        while data:
            try:
                out = self._z.decompress(data, self._cap - self._size + 1)
            except zlib.error as exc:
                raise FetchError(f"corrupt compressed body: {exc}") from None
            self._add(out)
            data = self._z.unconsumed_tail
            if self._z.eof:
                break

    def finish(self) -> bytes:
        if self._z is not None and not self._z.eof:
            self._add(self._z.flush())
            if not self._z.eof:
                raise FetchError("corrupt compressed body: truncated or not gzip")
        return b"".join(self._parts)
