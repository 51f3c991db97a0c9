"""A feed server on 127.0.0.1 for tests and the benchmark, plus feed documents built from real
Arabic news in ../shared/data (read at test time, never copied into the repo).

Routes are registered per path and can be changed while the server runs: a body with validators
(ETag/Last-Modified answered with 304), a status with headers (500, 429 + Retry-After), a delay,
a redirect, an endless body, a gzip bomb. Every request is logged with its headers.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import SEEDS, SHARED_DATA


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    redirect: str | None = None
    endless: bool = False
    gzip: bool = False  # compress ``body`` on the wire
    raw_gzip: bytes | None = None  # already-compressed bytes sent as gzip (the bomb)
    content_type: str = "application/rss+xml; charset=utf-8"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        owner = self.server.owner
        path = self.path
        with owner.lock:
            owner.requests.append((path, dict(self.headers.items())))
            route = owner.routes.get(path)
            owner.inflight += 1
            owner.max_inflight = max(owner.max_inflight, owner.inflight)
        try:
            self._serve(route)
        finally:
            with owner.lock:
                owner.inflight -= 1

    def _serve(self, route: "Route | None") -> None:
        if route is None:
            return self._send(404, b"not found", {"Content-Type": "text/plain"})
        if route.delay:
            time.sleep(route.delay)
        if route.redirect is not None:
            return self._send(302, b"", {"Location": route.redirect})
        if route.status == 200 and self._not_modified(route):
            return self._send(304, b"", {k: v for k, v in self._validators(route).items()})
        headers = {"Content-Type": route.content_type, **self._validators(route), **route.headers}
        if route.endless:
            self.send_response(200)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<item><title>" + b"x" * 65000 + b"</title></item>"
            try:
                for _ in range(100_000):  # ~6.5 GB if nobody stops reading
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return
        body = route.body
        if route.raw_gzip is not None:
            body, headers["Content-Encoding"] = route.raw_gzip, "gzip"
        elif route.gzip:
            body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        self._send(route.status, body, headers)

    def _validators(self, route: Route) -> dict[str, str]:
        out = {}
        if route.etag:
            out["ETag"] = route.etag
        if route.last_modified:
            out["Last-Modified"] = route.last_modified
        return out

    def _not_modified(self, route: Route) -> bool:
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if route.etag and inm:
            return inm == route.etag
        return bool(route.last_modified and ims and ims == route.last_modified)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    owner: "FakeFeeds"


class FakeFeeds:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.inflight = self.max_inflight = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, **kw) -> Route:
        route = Route(**kw)
        with self.lock:
            self.routes[path] = route
        return route

    def hits(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for p, h in self.requests if p == path]

    def __enter__(self) -> "FakeFeeds":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- documents -------------------------------------------------------------------------------


@dataclass
class NewsItem:
    title: str
    body: str
    link: str
    guid: str
    published: datetime


def saudi_items(n: int, day: str = "2015-08-04", min_words: int = 40) -> list[NewsItem]:
    """Real SaudiNewsNet articles (title, content, url, date) from the shared data."""
    with zipfile.ZipFile(SHARED_DATA / "saudinewsnet" / f"{day}.zip") as zf:
        rows = json.loads(zf.read(zf.namelist()[0]))
    out, seen = [], set()
    for row in rows:
        body = (row.get("content") or "").strip()
        title = (row.get("title") or "").strip()
        if len(body.split()) < min_words or not title or title in seen:
            continue
        seen.add(title)
        when = datetime.strptime(row["date_extracted"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        out.append(NewsItem(title, body, row["url"], row["url"], when))
        if len(out) == n:
            break
    return out


def jawhara_items(n: int) -> list[NewsItem]:
    """Real Jawhara FM (Tunisia) articles from the ANT corpus sample."""
    out = []
    for path in sorted((SHARED_DATA / "ant_v1.1_jawharafm_sample").rglob("JA-*.txt"))[:n]:
        text = path.read_text(encoding="utf-8")
        grab = lambda tag: (re.search(rf"<{tag}>(.*?)</{tag}>", text, re.S) or [None, ""])[1].strip()  # noqa: E731
        when = _jawhara_time(grab("TIME"))
        body = grab("TEXT") or grab("ABSTRACT")
        out.append(NewsItem(grab("TITLE"), body, grab("URL"), grab("DOCNO"), when))
    return out


def _jawhara_time(value: str) -> datetime:
    for parse in (datetime.fromisoformat, lambda v: datetime.strptime(v, "%d/%m/%Y")):
        try:
            when = parse(value)
        except ValueError:
            continue
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return datetime(2017, 2, 3, tzinfo=timezone.utc)


def kursk_item() -> NewsItem:
    """A real Arabic report that names كورسك (a seed article: the shared data predates 2024)."""
    path = next(p for p in sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt")) if "كورسك" in p.read_text(encoding="utf-8"))
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return NewsItem(lines[0], "\n".join(lines[1:]), "https://news.example/kursk-report", "kursk-1",
                    datetime(2025, 8, 13, 8, 0, tzinfo=timezone.utc))


def _paras(body: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in body.splitlines() if p.strip())


def rss(items: list[NewsItem], *, encoding: str = "utf-8", declare: bool = True, ttl: int | None = None,
        title: str = "أخبار") -> bytes:
    decl = f'<?xml version="1.0" encoding="{encoding}"?>\n' if declare else ""
    entries = "".join(
        f"<item><title>{html.escape(i.title)}</title><link>{html.escape(i.link)}</link>"
        f"<guid isPermaLink=\"false\">{html.escape(i.guid)}</guid>"
        f"<pubDate>{format_datetime(i.published)}</pubDate>"
        f"<description>{html.escape(_paras(i.body))}</description></item>"
        for i in items
    )
    ttl_el = f"<ttl>{ttl}</ttl>" if ttl else ""
    doc = (f'{decl}<rss version="2.0"><channel><title>{title}</title><link>https://news.example/</link>'
           f"<description>feed</description>{ttl_el}{entries}</channel></rss>")
    return doc.encode(encoding, errors="xmlcharrefreplace")


def atom(items: list[NewsItem]) -> bytes:
    entries = "".join(
        f"<entry><title>{html.escape(i.title)}</title><link rel=\"alternate\" href=\"{html.escape(i.link)}\"/>"
        f"<id>{html.escape(i.guid)}</id><updated>{i.published.isoformat()}</updated>"
        f"<content type=\"html\">{html.escape(_paras(i.body))}</content></entry>"
        for i in items
    )
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>جوهرة</title><id>urn:jawhara</id><updated>2017-02-04T00:00:00Z</updated>{entries}</feed>"
            ).encode("utf-8")


def rdf(items: list[NewsItem]) -> bytes:
    entries = "".join(
        f"<item rdf:about=\"{html.escape(i.link)}\"><title>{html.escape(i.title)}</title>"
        f"<link>{html.escape(i.link)}</link><description>{html.escape(i.body)}</description>"
        f"<dc:date>{i.published.isoformat()}</dc:date></item>"
        for i in items
    )
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="https://news.example/"><title>RDF</title><link>https://news.example/</link>'
            f"<description>d</description></channel>{entries}</rdf:RDF>").encode("utf-8")


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>'
)


def gzip_bomb(decompressed: int = 200_000_000) -> bytes:
    """~200 MB of zeros in ~200 KB of gzip."""
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * 1_000_000
    parts = [comp.compress(block) for _ in range(decompressed // len(block))]
    parts.append(comp.flush())
    return b"".join(parts)


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(timezone.utc), usegmt=True)

