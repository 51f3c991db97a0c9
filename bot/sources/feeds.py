"""RSS 2.0, Atom and RDF feeds: bytes in, cleaned ``Article``s out.

feedparser parses the bytes (never a URL or a path: fetching is ``bot.sources.fetch``'s job, under its
guards). Before that we settle the encoding ourselves, because Arabic feeds are often windows-1256
or ISO-8859-6 with no declaration at all, and feedparser would fall back to windows-1252 mojibake;
and we refuse any document that declares entities (billion laughs, external entities): a news
feed never needs them.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from bot.article import Article, sanitize
from bot.text.boilerplate import (
    Rules, clean_lines, clean_title, default_rules, strip_lead_credit, unescape_entities,
)
from bot.text.dates import locate_publication_date
from bot.sources.files import SkippedFile, decode_bytes, extract_html

log = logging.getLogger(__name__)

# Query parameters that only say where a click came from.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src",
     "ocid", "cmpid", "at_medium", "at_campaign", "spm", "share", "ito", "wt.mc_id", "__twitter_impression"}
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"'][^>]*\?>")
_XML_DECL_ANY = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_BLOCK = re.compile(r"(?i)<\s*(?:br|/p|/div|/li|/h[1-6]|/blockquote|/tr)\s*/?\s*>")
_TAG = re.compile(r"<[^>]+>")
MAX_ITEMS = 500
_FUTURE_SLACK = timedelta(days=1)


class FeedError(Exception):
    """Bytes that are not a feed we can read; ``reason`` is one line for the log and /feed status."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class FeedItem:
    identity: str  # guid, else link, else title
    url: str  # canonical link, or the feed URL plus a fragment when the item has no link
    title: str
    body: str
    published_at: datetime
    date_source: str
    has_link: bool = True


@dataclass
class ParsedFeed:
    title: str
    items: list[FeedItem] = field(default_factory=list)
    ttl_s: int | None = None
    kind: str = ""


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query, doseq=True), ""))


def declared_charset(content_type: str | None) -> str | None:
    m = _CHARSET.search(content_type or "")
    return m.group(1) if m else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_feed(body: bytes, content_type: str | None = None) -> str:
    """The feed as text: BOM, then the XML declaration, then the HTTP charset, then a guess among
    UTF-8, windows-1256 and ISO-8859-6 (a declaration that does not decode is ignored)."""
    if body.startswith(codecs.BOM_UTF8):
        try:
            return body[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise FeedError("bad UTF-8 after a UTF-8 byte order mark") from None
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return body.decode("utf-16")
        except UnicodeDecodeError:
            raise FeedError("bad UTF-16 after a byte order mark") from None
    m = _XML_DECL.match(body[:512])
    for name in (m.group(1).decode("ascii") if m else None, declared_charset(content_type)):
        codec = _codec(name)
        # latin-1 family labels on Arabic feeds are almost always wrong; let the guess decide.
        if codec and codec not in ("latin-1", "iso8859-1", "cp1252", "ascii"):
            try:
                return body.decode(codec)
            except UnicodeDecodeError:
                log.info("feed declares %s but does not decode as it; guessing", name)
    try:
        return decode_bytes(body)
    except SkippedFile as exc:
        raise FeedError(exc.reason) from None


def to_feed_bytes(text: str) -> bytes:
    """UTF-8 bytes with an XML declaration that says so, for feedparser; entity declarations refused."""
    if _ENTITY_DECL.search(text):
        raise FeedError("refused: the document declares XML entities (entity expansion attack or external entity)")
    text = _XML_DECL_ANY.sub("", text.lstrip("\ufeff"), count=1).lstrip()
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode("utf-8")


def html_lines(html: str) -> list[str]:
    """Paragraph lines of an item's HTML (feedparser has already sanitized it)."""
    import html as html_mod

    text = _TAG.sub(" ", _BLOCK.sub("\n", html))
    return [" ".join(line.split()) for line in html_mod.unescape(text).splitlines() if line.strip()]


def _struct_to_dt(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_feed(
    body: bytes, *, feed_url: str, fetched_at: datetime, content_type: str | None = None, rules: Rules | None = None
) -> ParsedFeed:
    """Items of a feed document; raises FeedError for something that is not a feed."""
    rules = rules or default_rules()
    data = to_feed_bytes(decode_feed(body, content_type))
    doc = feedparser.parse(data, response_headers={"content-type": "application/xml; charset=utf-8"})
    if not doc.get("version") and not doc.entries:
        reason = str(doc.get("bozo_exception") or "no RSS, Atom or RDF root element")
        raise FeedError(f"not a feed: {reason[:200]}")
    ttl = None
    raw_ttl = str(doc.feed.get("ttl") or "").strip()
    if raw_ttl.isdigit():
        ttl = int(raw_ttl) * 60  # RSS ttl is in minutes
    parsed = ParsedFeed(title=str(doc.feed.get("title") or ""), ttl_s=ttl, kind=str(doc.get("version") or ""))
    for entry in doc.entries[:MAX_ITEMS]:
        item = _item(entry, feed_url, fetched_at, rules)
        if item is not None:
            parsed.items.append(item)
    return parsed


def _item(entry: Any, feed_url: str, fetched_at: datetime, rules: Rules) -> FeedItem | None:
    raw_title = " ".join(str(entry.get("title") or "").split())
    title = clean_title(raw_title, rules)
    html = ""
    for content in entry.get("content") or []:
        if len(content.get("value") or "") > len(html):
            html = content["value"]
    summary = str(entry.get("summary") or "")
    if len(summary) > len(html):
        html = summary
    # A feed that escaped its HTML twice leaves "&#1548;" and "&quot;" in the text once the HTML is
    # read: those are words too, read them before anything else looks at the lines.
    lines = clean_lines([unescape_entities(line) for line in html_lines(html)], rules)
    if lines and title and " ".join(lines[0].split()) in (title, unescape_entities(raw_title)):
        lines = lines[1:]
    body = "\n".join(lines)
    link = str(entry.get("link") or "").strip()
    guid = str(entry.get("id") or "").strip()
    identity = guid or link or title
    if not identity or not (title or body):
        return None
    if link and urlsplit(link).scheme.lower() in ("http", "https"):
        url, has_link = canonical_url(link), True
    else:
        digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
        url, has_link = f"{canonical_url(feed_url)}#item-{digest}", False
    published, source = None, "feed"
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        published = _struct_to_dt(entry.get(key))
        if published is not None:
            break
    if published is None or published > fetched_at + _FUTURE_SLACK:
        stated = locate_publication_date(f"{title}\n{body}")
        published, source = (stated.date, "text") if stated is not None else (fetched_at, "fetch")
    if not title:  # the lead's first line, without its dateline or byline
        title = clean_title(strip_lead_credit(body.split("\n", 1)[0], rules)[:120], rules)
    return FeedItem(identity[:2000], url, title, body, published, source, has_link)


def to_article(item: FeedItem, source: str, fetched_at: datetime) -> Article:
    """The item as the pipeline takes it: sanitized here, at the source boundary (a NUL in a title
    or a 5,000-character link must cost nothing downstream)."""
    return sanitize(Article(
        source=source, url=item.url, title=item.title, body=item.body or item.title,
        published_at=item.published_at, guid=item.identity, date_source=item.date_source, fetched_at=fetched_at,
    ))


def extract_page(html_bytes: bytes, content_type: str | None = None) -> str:
    """An article page's main text, through trafilatura; empty when none is found."""
    return extract_article(html_bytes, content_type)[1]


def extract_article(html_bytes: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(title, main text) of an article page, through trafilatura; empty strings when none is found.

    A lead lost in the page's markup is recovered (see ``bot.sources.files.extract_html``)."""
    codec = _codec(declared_charset(content_type))
    try:
        text = html_bytes.decode(codec) if codec else decode_bytes(html_bytes)
    except (UnicodeDecodeError, SkippedFile):
        return "", ""
    title, body, _ = extract_html(text, include_tables=False)
    return title, body


# --- what the server asks about polling frequency ------------------------------------------


def requested_delay(headers: Any, now: datetime, ttl_s: int | None = None) -> float | None:
    """Seconds the server (Retry-After, Cache-Control max-age, Expires) or the feed (ttl) asks us
    to wait, the longest of them; None when nobody asks."""
    asks: list[float] = []
    retry = (headers.get("retry-after") or "").strip()
    if retry:
        if retry.isdigit():
            asks.append(float(retry))
        else:
            when = _http_date(retry)
            if when is not None:
                asks.append((when - now).total_seconds())
    cache = headers.get("cache-control") or ""
    m = re.search(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)", cache, re.IGNORECASE)
    if m:
        asks.append(float(m.group(1)))
    elif headers.get("expires"):
        when = _http_date(headers["expires"])
        if when is not None:
            asks.append((when - now).total_seconds())
    if ttl_s:
        asks.append(float(ttl_s))
    asks = [a for a in asks if a > 0]
    return max(asks) if asks else None


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
