"""Articles from local files: .txt, .md, .html/.htm, one article per file.

Files come from anywhere (saved pages, exports, old Windows tools), so every read is defensive: a
bad file is skipped with one logged reason and never stops the batch.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from bot.text.arabic import normalize, split_sentences
from bot.article import Article, sanitize, storable
from bot.text.boilerplate import (
    Rules, clean_lines, clean_title, default_rules, strip_lead_credit, unescape_entities,
)
from bot.text.dates import HEAD_LINES, locate_publication_date, parse_date

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_TITLE_CHARS = 120
# A heading is a short line; a longer first line is the lead paragraph.
_HEADING_MAX_CHARS = 150
_HEADING_MAX_WORDS = 20
_HEADING_ENDINGS = (".", "…", ":", "،", ",", "؛", ";")
_SENTENCE_BREAK = re.compile(r"(?<![.\s])\.\s+\S")
_TITLE_MIN_WORDS = 4
# How many of the first lines may repeat the title (the page header printed it twice).
_TITLE_ECHO_LINES = 3
_SNIFF_BYTES = 65536
# How much of each first line is read for the stated publication date (see _take_date).
_DATE_SCAN_CHARS = 1000
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL_BYTES = frozenset([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_CONTROL_BYTE_STRING = bytes(sorted(_CONTROL_BYTES))
# UTF-8 with a few broken bytes (a truncated copy) is still UTF-8.
_MAX_REPLACEMENT_RATIO = 0.005
_MIN_PLAUSIBLE_RATIO = 0.95


class SkippedFile(Exception):
    """A file that is not an article we can read; ``reason`` is one line for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Parsed:
    lines: list[str]
    heading: str | None = None
    date: datetime | None = None


# --- finding files -------------------------------------------------------------------------


def iter_article_files(paths: Iterable[Path]) -> list[Path]:
    """Supported files among ``paths`` and, recursively, inside the folders among them.

    Hidden files and folders are skipped; a path that does not exist is an error, because it is
    almost always a typo on the command line.
    """
    found: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            found.update(_walk(path))
        elif path.is_file():
            if path.suffix.lower() in SUFFIXES:
                found.add(path)
            else:
                log.warning("ignoring %s: not one of %s", path, ", ".join(SUFFIXES))
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return sorted(found)


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES:
                yield Path(root) / name


def load_articles(paths: Iterable[Path], **kw: Any) -> Iterator[Article]:
    """Read every article file under ``paths``; skipped files are logged once and passed over."""
    for path in iter_article_files(paths):
        try:
            article = read_article_file(path, **kw)
        except SkippedFile as exc:
            log.warning("skipped %s: %s", path, exc.reason)
            continue
        except Exception as exc:  # a parser's bug on one hostile file must not end the batch
            log.warning("skipped %s: unexpected %s: %s", path, type(exc).__name__, str(exc)[:200])
            continue
        yield article


# --- one file ------------------------------------------------------------------------------


def read_article_file(
    path: Path,
    *,
    source: str = "files",
    max_bytes: int = 2_000_000,
    rules: Rules | None = None,
) -> Article:
    """One file as an ``Article``; raises ``SkippedFile`` when it is not a readable article."""
    path = Path(path)
    rules = rules or default_rules()
    data, mtime = _read_bytes(path, max_bytes)
    # The binary sniff reads only the first 64 KB: a stray NUL further on is dropped, not stored.
    text = storable(decode_bytes(data))
    if not text.strip():
        raise SkippedFile("empty file")
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        parsed = _parse_html(text)
    elif suffix == ".md":
        parsed = _parse_markdown(unescape_entities(text))
    else:
        # "&#1548;" and "&quot;" left in a saved text are words to the reader: read them first.
        parsed = _Parsed(unescape_entities(text).splitlines())
    title, body, stated = _assemble(parsed, rules)
    if not title and not body:
        raise SkippedFile("no article text left after removing boilerplate")
    # A date from the page's own markup or front matter beats one read from its text.
    published = parsed.date or stated
    return sanitize(Article(
        source=source,
        url=str(path),
        title=title,
        body=body,
        published_at=published or datetime.fromtimestamp(mtime, tz=timezone.utc),
        date_source="text" if published else "mtime",
    ))


def _read_bytes(path: Path, max_bytes: int) -> tuple[bytes, float]:
    try:
        info = path.stat()
        if not path.is_file():
            raise SkippedFile("not a regular file")
        if info.st_size == 0:
            raise SkippedFile("empty file")
        if info.st_size > max_bytes:
            raise SkippedFile(f"too large: {info.st_size} bytes (limit {max_bytes})")
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise SkippedFile(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:  # grew since stat()
        raise SkippedFile(f"too large: more than {max_bytes} bytes")
    if not data:
        raise SkippedFile("empty file")
    return data, info.st_mtime


# --- decoding ------------------------------------------------------------------------------


def decode_bytes(data: bytes) -> str:
    """Text of a file in UTF-8 (with or without BOM), UTF-16 with BOM, windows-1256 or ISO-8859-6.

    Raises ``SkippedFile`` for binary data and for bytes that only decode to garbage.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data, "utf-8-sig", "bad UTF-8 after a UTF-8 byte order mark")
    if data.startswith(_UTF16_BOMS):
        return _strict(data, "utf-16", "bad UTF-16 after a UTF-16 byte order mark")
    if _looks_binary(data):
        raise SkippedFile("binary file (NUL or control bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    loose = data.decode("utf-8", errors="replace")
    if loose.count("\ufffd") <= _MAX_REPLACEMENT_RATIO * len(loose):
        return loose
    best = max(_legacy_candidates(data), key=_decoding_score, default=None)
    if best is None or _plausible_ratio(best) < _MIN_PLAUSIBLE_RATIO:
        raise SkippedFile("undecodable: not UTF-8, windows-1256 or another known encoding")
    return best


def _strict(data: bytes, encoding: str, reason: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SkippedFile(reason) from exc


def _looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTE_STRING))  # counted in C
    return controls > 0.05 * len(head)


def _legacy_candidates(data: bytes) -> Iterator[str]:
    # ISO-8859-6 leaves many bytes undefined, so it fails fast on windows-1256 text; windows-1256
    # decodes anything, so the score, not the order, decides between them.
    for encoding in ("cp1256", "iso-8859-6"):
        try:
            yield data.decode(encoding)
        except UnicodeDecodeError:
            pass
    try:
        from charset_normalizer import from_bytes

        guess = from_bytes(data).best()
    except Exception:  # a detector failure must not lose the file: the fixed guesses remain
        log.debug("charset detection failed", exc_info=True)
        return
    if guess is not None:
        yield str(guess)


def _decoding_score(text: str) -> tuple[bool, int, float]:
    # "ال" is the commonest Arabic letter pair; the wrong Arabic code page breaks it while still
    # producing letters, so it decides between decodings that all look like text.
    ratio = _plausible_ratio(text)
    return (ratio >= _MIN_PLAUSIBLE_RATIO, text.count("ال"), ratio)


def _plausible_ratio(text: str) -> float:
    """Share of characters that belong in Arabic or Latin text rather than mojibake."""
    if not text:
        return 0.0
    good = sum(1 for ch in text if _plausible_char(ch))
    return good / len(text)


def _plausible_char(ch: str) -> bool:
    if ch.isascii():
        return ch.isprintable() or ch in "\n\r\t"
    code = ord(ch)
    if 0x0600 <= code <= 0x06FF or 0xFB50 <= code <= 0xFEFF or 0x2010 <= code <= 0x2044:
        return True
    if ch in "«»°·\u00a0€":
        return True
    # Accented Latin letters (French in Maghrebi text) but not Latin-1 symbols such as ¹ § ¾.
    return unicodedata.category(ch).startswith("L") and code < 0x0250


# --- structure -----------------------------------------------------------------------------


def _assemble(parsed: _Parsed, rules: Rules) -> tuple[str, str, datetime | None]:
    """Title, body and stated date from a file's lines."""
    lines = clean_lines(parsed.lines, rules)
    lines, stated = _take_date(lines)
    heading = parsed.heading
    if heading is None and lines and _is_heading(lines[0]):
        heading = lines.pop(0)
    if heading is not None:
        title = clean_title(heading, rules)
        lines = _drop_title_echoes(lines, {normalize(heading), normalize(title)})
    else:
        # The body keeps a lead's dateline or byline for search; the headline never shows it.
        title = clean_title(_title_from_sentence(strip_lead_credit(lines[0], rules)), rules) if lines else ""
    return title, "\n".join(lines), stated


def _take_date(lines: list[str]) -> tuple[list[str], datetime | None]:
    """Cut the stated publication date (and its label) out of the first lines.

    Only the start of each of the first lines is read: a stated date opens its line (a stamp, a
    dateline, a label after at most a place name), and reading a 2 MB one-line file whole for it
    took minutes (every date found re-read its line).
    """
    head = [line[:_DATE_SCAN_CHARS] for line in lines[: HEAD_LINES * 2]]
    text = "\n".join(head)
    match = locate_publication_date(text)
    if match is None:
        return lines, None
    index = text.count("\n", 0, match.start)
    line_start = text.rfind("\n", 0, match.start) + 1
    line = lines[index]
    # Offsets inside a line are the same in its truncated head; the tail past the head is kept.
    rest = (line[: match.start - line_start] + " " + line[match.end - line_start:]).strip(" \t-–—|:،,")
    kept = " ".join(rest.split())
    return [*lines[:index], *([kept] if kept else []), *lines[index + 1:]], match.date


def _is_heading(line: str) -> bool:
    # ".." inside a headline is a pause ("شاهد.. ملك الأردن يقود سيارته"); a lone ". " ends a
    # sentence, so the line is a paragraph.
    return (
        len(line) <= _HEADING_MAX_CHARS
        and len(line.split()) <= _HEADING_MAX_WORDS
        and not line.endswith(_HEADING_ENDINGS)
        and not _SENTENCE_BREAK.search(line)
    )


def _drop_title_echoes(lines: list[str], keys: set[str]) -> list[str]:
    head = [line for line in lines[:_TITLE_ECHO_LINES] if normalize(line) not in keys]
    return head + lines[_TITLE_ECHO_LINES:]


def _title_from_sentence(paragraph: str) -> str:
    """The lead's first sentence, cut at a word boundary when it is too long for a headline."""
    sentence = ""
    for part in split_sentences(paragraph) or [paragraph]:
        sentence = f"{sentence} {part}".strip()
        if len(sentence.split()) >= _TITLE_MIN_WORDS:  # "شاهد.." alone is not a headline
            break
    sentence = sentence.rstrip(".")
    if len(sentence) <= MAX_TITLE_CHARS:
        return sentence
    cut = sentence[: MAX_TITLE_CHARS + 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut[:MAX_TITLE_CHARS]
    return cut.rstrip(" ،,;؛:-–") + "…"


# --- markdown ------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_INLINE = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),
    (re.compile(r"<[^>\n]+>"), ""),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
)
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def _parse_markdown(text: str) -> _Parsed:
    """Markdown to one paragraph per line; a leading ``# `` heading is the title."""
    heading, date = None, None
    front = _FRONT_MATTER.match(text)
    if front:
        meta = dict(
            (k.strip().lower(), v.strip().strip("\"'"))
            for k, _, v in (ln.partition(":") for ln in front.group(1).splitlines())
        )
        heading = meta.get("title") or None
        date = parse_date(meta.get("date", ""))
        text = text[front.end():]
    lines: list[str] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            lines.append(" ".join(paragraph))
            paragraph.clear()

    for raw in text.splitlines():
        if _MD_FENCE.match(raw):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            lines.append(raw)
            continue
        line = raw.strip()
        if line.startswith(">"):
            line = line.lstrip("> ").strip()
        if not line or _MD_RULE.match(line):
            flush()
            continue
        h = _MD_HEADING.match(line)
        if h:
            flush()
            content = _md_inline(h.group(2))
            if heading is None and len(h.group(1)) == 1 and not lines:
                heading = content
            else:
                lines.append(content)
        elif _MD_LIST.match(line):
            flush()
            lines.append(_md_inline(_MD_LIST.sub("", line, count=1)))
        else:
            paragraph.append(_md_inline(line))
    flush()
    return _Parsed(lines, heading, date)


def _md_inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text.strip()


# --- html ----------------------------------------------------------------------------------

_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "td", "th", "time", "tr", "ul",
)
# The page's date stamp sits within a few lines of its headline.
_STAMP_WINDOW = 4


# A lead never opens on a word that continues a thought ("وأوضح" = "and he explained"): an
# extraction that does has lost the paragraph before it. Normalized forms (see bot.text.arabic.normalize).
_CONTINUATIONS = frozenset(normalize(w) for w in (
    "وأوضح", "وأضاف", "وأضافت", "وتابع", "وتابعت", "وأشار", "وأشارت", "وأكد", "وأكدت", "وقال", "وقالت",
    "وبين", "وبينت", "وذكر", "وذكرت", "ولفت", "ولفتت", "وأردف", "واعتبر", "واعتبرت", "وشدد", "وشددت",
    "وأفاد", "وأفادت", "ونوه", "وكشف", "وكشفت", "وأعرب", "وأعربت", "ودعا", "ودعت", "واختتم", "وختم",
    "كما", "وكان", "وكانت", "وتأتي", "ويأتي", "وفي", "ومن", "فيما", "بينما", "وأيضا",
))
_CONTINUATION_PHRASES = tuple(normalize(p) for p in (
    "من جهته", "من جهتها", "من جانبه", "من جانبها", "في المقابل", "إلى ذلك", "وفي السياق",
    "في السياق ذاته", "في هذا الإطار", "وفي هذا الإطار", "في الأثناء", "وفي الأثناء",
))


def starts_mid_thought(text: str) -> bool:
    """Whether ``text`` opens on a word that continues an earlier sentence (a lost lead)."""
    words = normalize(text[:200]).split()
    if not words:
        return False
    head = " ".join(words[:4])
    return words[0] in _CONTINUATIONS or head.startswith(_CONTINUATION_PHRASES)


def _extract(text: str, **kw: Any) -> Any:
    import trafilatura

    return trafilatura.bare_extraction(
        text,
        include_comments=False,
        include_tables=kw.pop("include_tables", True),
        with_metadata=True,
        # htmldate's extensive search guesses (a copyright year becomes "2013-01-01"); only
        # dates the page states in its markup are taken, the stamp under the headline first.
        date_extraction_params={"original_date": True, "extensive_search": False},
        **kw,
    )


def extract_html(text: str, *, include_tables: bool = True) -> tuple[str, str, str]:
    """(title, main text, date string) of an article page, through trafilatura.

    When the main text opens mid-thought ("وأوضح ..."), the lead was lost in the page's markup:
    the extraction is retried with trafilatura's recall settings, and the page's own description
    (meta / og:description) is offered as the lead; the candidate that does not open mid-thought
    and keeps the most text wins, the first extraction on ties. Entities left in the text are read.
    """
    doc = _extract(text, include_tables=include_tables)
    if doc is None or not (doc.text or "").strip():
        return "", "", ""
    title = unescape_entities((doc.title or "").strip())
    body = unescape_entities(doc.text.strip())
    if starts_mid_thought(_first_paragraph(body, title)):
        description = unescape_entities((doc.description or "").strip())
        body = _recover_lead(text, body, title, description, include_tables)
    return title, body, doc.date or ""


def _first_paragraph(body: str, title: str) -> str:
    key = normalize(title)
    for line in body.splitlines():
        if line.strip() and normalize(line) != key:
            return line
    return ""


def _recover_lead(html_text: str, body: str, title: str, description: str, include_tables: bool) -> str:
    candidates = [body]
    recall = _extract(html_text, favor_recall=True, include_tables=include_tables)
    if recall is not None and (recall.text or "").strip():
        candidates.append(unescape_entities(recall.text.strip()))
    lead = _whole_sentences(description)
    lead_key = normalize(lead)
    if len(lead_key.split()) >= _TITLE_MIN_WORDS and lead_key not in normalize(body):
        candidates.append(lead + "\n" + body)

    def rank(candidate: str) -> tuple[bool, int]:
        return (not starts_mid_thought(_first_paragraph(candidate, title)), len(normalize(candidate)))

    best = max(candidates, key=rank)  # max keeps the first of equals: the default extraction
    if best is not body:
        log.debug("lead recovered for %r", title[:60])
    return best


def _whole_sentences(description: str) -> str:
    """A page description as a lead: one cut short with "..." keeps its whole sentences only."""
    description = " ".join(description.split())
    if not description.endswith(("...", "…")):
        return description if description.endswith((".", "!", "؟", "?")) else description + "."
    ends = [m.end() for m in re.finditer(r"[.!؟?](?=\s)", description.rstrip(" .…"))]
    return description[: ends[-1]] if ends else ""


def _parse_html(text: str) -> _Parsed:
    """Main text through trafilatura (comments excluded); title and date from the page."""
    title, body, date_text = extract_html(text)
    if not body:
        raise SkippedFile("no article text found in the HTML")
    title_or_none = title or None
    date = _stamp_near_headline(text, title_or_none) or parse_date(date_text)
    return _Parsed(body.splitlines(), title_or_none, date)


def _stamp_near_headline(html: str, title: str | None) -> datetime | None:
    """The date printed just under the page's headline ("الأربعاء، 28 آب/اغسطس 2013")."""
    if not title:
        return None
    lines = _visible_lines(html)
    key = normalize(title)
    for i, line in enumerate(lines):
        if normalize(line) == key:
            match = locate_publication_date("\n".join(lines[i + 1:i + 1 + _STAMP_WINDOW]))
            if match is not None:
                return match.date
    return None


def _visible_lines(html: str) -> list[str]:
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    body = root.find("body")
    body = root if body is None else body
    for el in body.xpath("//script|//style|//noscript|//template"):
        el.drop_tree()
    for el in body.iter(*_BLOCK_TAGS):
        el.text = "\n" + (el.text or "")
        el.tail = "\n" + (el.tail or "")
    return [" ".join(ln.split()) for ln in body.text_content().splitlines() if ln.strip()]
