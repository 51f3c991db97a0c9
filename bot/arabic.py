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
    return _normalize(text)


def _normalize(text: str) -> str:
    text = _MARKS_RE.sub("", unicodedata.normalize("NFKC", text))
    for letter, folded in _FOLD_PAIRS:
        if letter in text:
            text = text.replace(letter, folded)
    return " ".join(_WORDS.findall(text.casefold()))


# Sentences and terms are normalized again and again by matching and summaries; bodies are not.
_normalize_cached = lru_cache(maxsize=16384)(_normalize)


def tokens(text: str) -> list[str]:
    """Normalized word tokens of ``text``."""
    return normalize(text).split()


# --- sentences -----------------------------------------------------------------------------

_OPEN_QUOTES = "\"“«„‘‹"
_CLOSE_QUOTES = "\"”»’›"
_TERMINATORS = ".!?؟…"
# An abbreviation or initial before a full stop does not end a sentence ("د. محمد", "U.S.").
_ABBREVIATION = re.compile(r"(?:(?:[^\W\d_]\.)+|(?:Dr|Mr|Mrs|Ms|St|No|vs|Jr|Sr)\.)")


def split_sentences(text: str) -> list[str]:
    """Split into sentences at . ! ? ؟ … and line breaks, never at ، or ؛ or inside quotes.

    Sentences are returned as written (stripped), so a summary shows the original spelling.
    """
    sentences: list[str] = []
    for line in text.splitlines():
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
        if _ABBREVIATION.fullmatch(_word_before(line, i) + "."):
            return False
    return j >= len(line) or line[j].isspace()


def _word_before(line: str, i: int) -> str:
    """The run of non-space characters ending at ``i`` (exclusive). Each such run ends at most
    one full stop followed by a space, so over a line these scans add up to its length."""
    k = i
    while k > 0 and not line[k - 1].isspace():
        k -= 1
    return line[k:i]
