"""Arabic text tools shared by matching, dedup, search and summaries.

Normalization produces *keys*: it folds spelling variation so that two ways of writing a word
compare equal. It is never used for display; shown text keeps the article's own spelling.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Harakat, Quranic marks, superscript alef: they change pronunciation, not identity.
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u08d3-\u08ff]")
# Tatweel and invisible direction / joiner marks that editors paste into headlines.
_INVISIBLE = re.compile("[\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")

_LETTER_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ؤ": "و",
        "ئ": "ي",
        "ى": "ي",
        "ة": "ه",
        "ۀ": "ه",
        "ە": "ه",
        # Persian / Urdu letters seen in transliterated names.
        "ک": "ك",
        "ڪ": "ك",
        "گ": "ك",
        "ی": "ي",
        "ې": "ي",
        "ۍ": "ي",
        "پ": "ب",
        "چ": "ج",
        "ژ": "ز",
        "ڤ": "ف",
        "ڨ": "ق",
        # Arabic-Indic and Persian digits.
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)

# Everything that is neither a letter nor a digit separates words in a key.
_NON_WORD = re.compile(r"[^\w]+|_")


def strip_marks(text: str) -> str:
    """Remove diacritics, tatweel and invisible marks, keeping letters as written."""
    return _INVISIBLE.sub("", _DIACRITICS.sub("", text))


_MARKS = [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE), *range(0x08D3, 0x0900),
          0x0640, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF, 0x00AD]
_MARKS_RE = re.compile("[" + "".join(map(chr, _MARKS)) + "]+")
# str.replace per folded letter beats one dict-driven str.translate on Arabic text (measured ~2x).
_FOLD_PAIRS = tuple((chr(k), v) for k, v in _LETTER_FOLD.items())
_WORDS = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """Fold text to a matching key: one space between words, no punctuation, Latin lowercased."""
    if len(text) <= 400:
        return _normalize_cached(text)
    if len(text) <= _LONG_LINE_CHARS:
        return _normalize_paragraph(text)
    return _normalize(text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for letter, folded in _FOLD_PAIRS:
        if letter in text:
            text = text.replace(letter, folded)
    text = text.casefold()
    if any(mark in text for mark in _ALNUM_MARKS):
        return " ".join(_WORDS.findall(_MARKS_RE.sub("", text)))
    return " ".join(_words_of(text))


# The marks that ``str.isalnum`` counts as letters (tatweel, small waw, small yeh; tests/test_arabic.py
# checks the list against _MARKS): a word holding one must lose it, so a text with any takes the
# regex path.
_ALNUM_MARKS = ("\u0640", "\u06e5", "\u06e6")


def _words_of(text: str) -> list[str]:
    r"""``_WORDS.findall(_MARKS_RE.sub("", text))`` for a text without ``_ALNUM_MARKS``, ~10x faster.

    ``[^\W_]`` is exactly ``str.isalnum`` and whitespace is never a letter nor a mark, so the
    words are those of each whitespace-separated part: most parts are one word already (one C
    test), and only a part with punctuation or a mark in it goes through the regexes. Folding and
    ``casefold`` neither make nor change a mark (tests/test_arabic.py checks every code point), so
    removing marks after them, part by part, gives the words removing them first gave.
    """
    words: list[str] = []
    for part in text.split():
        if part.isalnum():
            words.append(part)
        else:
            words.extend(_WORDS.findall(_MARKS_RE.sub("", part)))
    return words


# Sentences and terms are normalized again and again by matching and summaries; bodies are not.
_normalize_cached = lru_cache(maxsize=16384)(_normalize)
# A paragraph longer than a sentence is normalized by the cleaner (``boilerplate.match_line``) when
# the file is read and again for the article's analysis (``Analyzed.body_words``), a batch of
# articles later (``pipeline.BATCH``): a small cache of them keeps the second for free. Bounded by
# entries and length (at most ~512 x 6,000 characters, twice, held), so a hostile file cannot
# fill memory; a longer line is simply normalized each time.
_LONG_LINE_CHARS = 6_000
_normalize_paragraph = lru_cache(maxsize=512)(_normalize)


def tokens(text: str) -> list[str]:
    """Normalized word tokens of ``text``."""
    return normalize(text).split()


# --- sentences -----------------------------------------------------------------------------

_OPEN_QUOTES = "\"“«„‘‹"
_CLOSE_QUOTES = "\"”»’›"
_TERMINATORS = ".!?؟…"
# An abbreviation or initial before a full stop does not end a sentence ("د. محمد", "U.S.").
_ABBREVIATION = re.compile(r"(?:(?:[^\W\d_]\.)+|(?:Dr|Mr|Mrs|Ms|St|No|vs|Jr|Sr)\.)")
# Latin letters spelled out in Arabic script, as initials of foreign names are written ("جون إف.
# كينيدي", "جورج دبليو. بوش", "إتش. جي. ويلز"). Each is a whole word, so a sentence ending in one
# is vanishingly rare (the prepositions في, أو, إن never end a sentence).
_SPELLED_INITIALS = frozenset(
    "إيه ايه بي سي سيه دي إي اي إف اف جي جيه إتش اتش آي أي إل ال إم ام إن ان أو او كيه كيو "
    "آر ار إس اس تي يو في دبليو إكس اكس واي زد زي".split()
)
# What may wrap an abbreviation without belonging to it: "(د." or "«م.".
_WORD_OPENERS = "([{\"“«„‘‹'"


def split_sentences(text: str) -> list[str]:
    """Split into sentences at . ! ? ؟ … and line breaks, never at ، or ؛ or inside quotes.

    Hard-wrapped text is rejoined first (``unwrap``), so a line break counts as a sentence end
    only where the writer ended a line, not where a fixed column did. Sentences are returned as
    written (stripped), so a summary shows the original spelling.
    """
    sentences: list[str] = []
    for line in unwrap(text).splitlines():
        sentences.extend(_split_line(line, quotes=True))
    return [s for s in sentences if s]


# The characters the splitter has to look at; everything between them is skipped by the regex engine.
_QUOTED_STOPS = re.compile("[" + re.escape(_OPEN_QUOTES + _CLOSE_QUOTES + _TERMINATORS) + "]")
_STOPS = re.compile("[" + re.escape(_TERMINATORS) + "]")


def _split_line(line: str, quotes: bool) -> list[str]:
    """One pass over the line: O(len(line)) however long it is (a 2 MB file can be one line)."""
    out: list[str] = []
    start = 0
    depth = 0
    straight_open = False
    n = len(line)
    stops = _QUOTED_STOPS if quotes else _STOPS
    m = stops.search(line)
    while m is not None:
        i = m.start()
        ch = line[i]
        nxt = i + 1
        if quotes and ch == '"':
            straight_open = not straight_open
        elif quotes and ch in _OPEN_QUOTES:
            depth += 1
        elif quotes and ch in _CLOSE_QUOTES:
            if depth:
                depth -= 1
        elif ch in _TERMINATORS and depth == 0 and not straight_open:
            j = i + 1
            while j < n and line[j] in _TERMINATORS:
                j += 1
            while j < n and line[j] in _CLOSE_QUOTES:
                j += 1
            if _is_boundary(line, i, j):
                out.append(line[start:j].strip())
                start = j
            nxt = j
        m = stops.search(line, nxt)
    tail = line[start:].strip()
    if tail:
        # An unbalanced quote must not swallow the rest of the paragraph into one sentence.
        if (depth or straight_open) and any(t in tail for t in _TERMINATORS):
            out.extend(_split_line(tail, quotes=False))
        else:
            out.append(tail)
    return out


def _is_boundary(line: str, i: int, j: int) -> bool:
    if line[i] == "." and j == i + 1:
        after = line[j:j + 1]
        # 3.5, 1.000 and URLs: a dot between two non-spaces is not a full stop.
        if after and not after.isspace():
            return False
        before = _word_before(line, i)
        if is_abbreviation(before):
            return False
        # "أ . فهد": an initial written with a space before its full stop.
        if not before and i >= 2 and line[i - 1] == " " and is_abbreviation(_word_before(line, i - 1)):
            return False
    return j >= len(line) or line[j].isspace()


def is_abbreviation(word: str) -> bool:
    """True when ``word`` followed by a full stop is an initial or title, not a sentence end."""
    word = word.lstrip(_WORD_OPENERS)
    return bool(_ABBREVIATION.fullmatch(word + ".")) or word in _SPELLED_INITIALS


def _word_before(line: str, i: int) -> str:
    """The run of non-space characters ending at ``i`` (exclusive). Each such run ends at most
    one full stop followed by a space, so over a line these scans add up to its length."""
    k = i
    while k > 0 and not line[k - 1].isspace():
        k -= 1
    return line[k:i]


# --- hard-wrapped text ---------------------------------------------------------------------

# Fewer lines than this give no line-length statistics worth trusting.
WRAP_MIN_LINES = 4
# Hard wraps happen at a fixed column (60-100 characters in practice); one paragraph per line
# gives a ragged, usually longer, line length. A "width" above this is never a wrap column.
WRAP_MAX_WIDTH = 160
# A line filled to this share of the width was (probably) broken by the column, not the writer.
WRAP_FULL_SHARE = 0.75
# In wrapped text most lines are full, and most full lines stop mid-sentence.
WRAP_MIN_FULL_LINES = 0.5
WRAP_MIN_OPEN_LINES = 0.5
# A column is a hard limit: hardly any line runs past it (a pasted heading may). Lists and
# poems of uneven lines fail this.
WRAP_OVERFLOW = 1.1
WRAP_MAX_OVERFLOW_LINES = 0.1
# A line opening with a list marker starts an item, never continues the line before.
_ITEM_START = re.compile(r"^(?:[-–—•*▪]|\(?[0-9٠-٩]{1,2}\s*[-–—ـ.)])")


def unwrap(text: str) -> str:
    """Rejoin the lines of hard-wrapped paragraphs; any other text comes back unchanged.

    Wrapping is detected from line-length statistics, not from any one source's layout: most
    lines end near one width (the 90th percentile of lengths), and most of those end without
    terminal punctuation. A line then continues onto the next unless it ends a sentence, is
    followed by a blank line or an indented line (a new paragraph), or is too short to have been
    broken by the column (a heading or a paragraph's last line).
    """
    if text.count("\n") + 1 < WRAP_MIN_LINES:
        return text
    lines = text.splitlines()
    width = _wrap_width(lines)
    if width is None:
        return text
    indented = _uses_indentation(lines)
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in lines:
        line = raw.strip()
        new_paragraph = not line or (indented and raw[:1].isspace())
        if current and (new_paragraph or not _continues(current[-1], line, width)):
            paragraphs.append(" ".join(current))
            current = []
        if line:
            current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


def _wrap_width(lines: list[str]) -> int | None:
    """The wrap column when the text is hard-wrapped, else None."""
    lengths = sorted(len(line.strip()) for line in lines if line.strip())
    if len(lengths) < WRAP_MIN_LINES:
        return None
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if width > WRAP_MAX_WIDTH:
        return None
    overflow = sum(1 for n in lengths if n > WRAP_OVERFLOW * width)
    if overflow > WRAP_MAX_OVERFLOW_LINES * len(lengths):
        return None
    full = [line.strip() for line in lines if len(line.strip()) >= WRAP_FULL_SHARE * width]
    open_full = [line for line in full if not ends_sentence(line)]
    if len(full) < WRAP_MIN_FULL_LINES * len(lengths) or len(open_full) < 2:
        return None
    if len(open_full) < WRAP_MIN_OPEN_LINES * len(full):
        return None
    return width


def _uses_indentation(lines: list[str]) -> bool:
    """Indented first lines mark paragraphs only when some, not all, lines are indented."""
    body = [line for line in lines if line.strip()]
    indented = sum(line[:1].isspace() for line in body)
    return 0 < indented < len(body) // 2


def _continues(previous: str, line: str, width: int) -> bool:
    """Was the break after ``previous`` made by the column? Only if the next word did not fit."""
    if ends_sentence(previous) or _ITEM_START.match(line):
        return False
    first_word = line.split(maxsplit=1)[0] if line else ""
    return len(previous) + 1 + len(first_word) >= WRAP_FULL_SHARE * width


def ends_sentence(line: str) -> bool:
    """True when ``line`` ends with terminal punctuation that is not an initial's full stop."""
    stripped = line.rstrip().rstrip(_CLOSE_QUOTES + ")]")
    if not stripped or stripped[-1] not in _TERMINATORS:
        return False
    if stripped[-1] == "." and not stripped.endswith(".."):
        words = stripped[:-1].split()
        return not (words and is_abbreviation(words[-1]))
    return True
