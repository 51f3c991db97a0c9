"""Mine spelling variants of names from the dev data, and build the matcher's word lexicon.

Run: ``.venv/bin/python bench/mine_spellings.py [--lexicon] [--pairs OUT]``.

Dev data only: SaudiNewsNet 2015-08-01..04 (2015-08-06 is held out) and the ANT JawharaFM sample.

``--pairs OUT`` writes candidate variant pairs for a human to read and label: tokens that collide
on a sound-class skeleton (vowel letters dropped, غ/ج/ك/ق one class, ت/ط, س/ص, تش/ج/ش) and differ
by one edit, the rarer spelling beside the commoner one, with counts and one article id each.

``--lexicon`` writes ``bot/data/lexicon_ar.tsv``: words the dev data shows to be ordinary Arabic
words, which the matcher must never take for a spelling variant of a name (see bot/text/matching.py).
A word is listed when it is seen with the article ال at least twice (names of foreign people and
places almost never take it: no الترامب, but الصارخ, المعرض), or, bare, at least 20 times
(verbs, particles, names of other people and places).
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.text.arabic import normalize  # noqa: E402

DATA = REPO.parent / "shared" / "data"
DEV_DAYS = ("2015-08-01", "2015-08-02", "2015-08-03", "2015-08-04")
LEXICON = REPO / "bot" / "data" / "lexicon_ar.tsv"
_CLITIC_ARTICLE = ("وال", "بال", "فال", "كال", "ال")


def dev_articles() -> Iterator[tuple[str, str, str]]:
    """(article id, title, body) of every dev article; ids are file#index or the txt name."""
    for day in DEV_DAYS:
        with zipfile.ZipFile(DATA / "saudinewsnet" / f"{day}.zip") as archive:
            for name in archive.namelist():
                for i, item in enumerate(json.loads(archive.read(name))):
                    yield f"saudinewsnet/{day}#{i}", item.get("title") or "", item.get("content") or ""
    for path in sorted((DATA / "ant_v1.1_jawharafm_sample").rglob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        title, _, body = text.partition("\n")
        yield f"jawharafm/{path.name}", title, body


def count_tokens() -> tuple[Counter[str], Counter[str], dict[str, str]]:
    bare: Counter[str] = Counter()
    definite: Counter[str] = Counter()
    where: dict[str, str] = {}
    for article_id, title, body in dev_articles():
        for token in normalize(f"{title} {body}").split():
            bare[token] += 1
            where.setdefault(token, article_id)
            if token.startswith("لل") and len(token) > 4:
                definite[token[2:]] += 1
                continue
            for prefix in _CLITIC_ARTICLE:
                if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                    definite[token[len(prefix):]] += 1
                    break
    return bare, definite, where


def write_lexicon(bare: Counter[str], definite: Counter[str]) -> int:
    words = sorted(
        w
        for w in set(bare) | set(definite)
        if 3 <= len(w) <= 9
        and not w.isascii()
        and (definite[w] >= 2 or bare[w] >= 20)
        and not w.startswith("ال")
    )
    lines = [
        "# Ordinary Arabic words in the dev data (bench/mine_spellings.py --lexicon): never read as",
        "# a spelling variant of a watched name. word<TAB>bare count<TAB>count with ال",
    ]
    lines += [f"{w}\t{bare[w]}\t{definite[w]}" for w in words]
    LEXICON.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(words)


_SOUND = str.maketrans({"غ": "G", "ج": "G", "ك": "G", "ق": "G", "ط": "ت", "ص": "س", "ض": "د", "ظ": "ز", "ذ": "ز"})


def sound_key(word: str) -> str:
    word = word.replace("تش", "G").translate(_SOUND)
    return word[0] + "".join(c for c in word[1:] if c not in "اويه")


def write_pairs(bare: Counter[str], definite: Counter[str], where: dict[str, str], out: Path) -> int:
    from rapidfuzz.distance import DamerauLevenshtein

    groups: dict[str, list[str]] = defaultdict(list)
    for word, n in bare.items():
        if n >= 2 and len(word) >= 4 and not word.isascii() and definite[word] < 2:
            groups[sound_key(word)].append(word)
    rows = []
    for key, words in groups.items():
        words.sort(key=lambda w: -bare[w])
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                if DamerauLevenshtein.distance(a, b) <= 2:
                    rows.append((bare[a], a, b, bare[b], where[b]))
    rows.sort(reverse=True)
    out.write_text(
        "\n".join(f"{a}\t{b}\t{na}\t{nb}\t{w}" for na, a, b, nb, w in rows) + "\n", encoding="utf-8"
    )
    return len(rows)


NAMES = REPO / "bench" / "data" / "public_names.tsv"


def public_names() -> list[tuple[str, str, str]]:
    """(term, kind, English) from bench/data/public_names.tsv."""
    rows = []
    for line in NAMES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            term, kind, english = line.split("\t")
            rows.append((term, kind, english))
    return rows


def write_readings(bare: Counter[str], where: dict[str, str], out: Path) -> int:
    """Every dev-data token that the matcher reads as a word of a public name, but not as written.

    One row per (token, term word, rule): rule is the variant rule, or "clitic/ending" when the
    token is the word with a proclitic, the article or an ending. Read them: the ones that are
    other words go to bot/data/name_guard.txt, the real spellings to the variant set.
    """
    from bot.text.matching import Matcher
    from bot.watchlists import make_watchlist

    names = public_names()
    matcher = Matcher([make_watchlist(f"n{i}", "n", any=[t]) for i, (t, _, _) in enumerate(names)])
    texts = matcher._word_text
    rows = []
    for token, n in bare.items():
        rules: dict[int, str] = {}
        matcher._analyse(token, frozenset(), rules)
        for word_id, rule in rules.items():
            word = texts[word_id]
            if token != word:
                rows.append((rule or "clitic/ending", token, word, n, where[token]))
    rows.sort(key=lambda r: (r[0], -r[3]))
    out.write_text("\n".join("\t".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lexicon", action="store_true")
    parser.add_argument("--pairs", type=Path)
    parser.add_argument("--false-readings", type=Path, dest="readings")
    args = parser.parse_args()
    bare, definite, where = count_tokens()
    print(f"{sum(bare.values())} tokens, {len(bare)} distinct")
    if args.lexicon:
        print(f"lexicon: {write_lexicon(bare, definite)} words -> {LEXICON}")
    if args.readings:
        print(f"readings: {write_readings(bare, where, args.readings)} -> {args.readings}")
    if args.pairs:
        print(f"pairs: {write_pairs(bare, definite, where, args.pairs)} -> {args.pairs}")


if __name__ == "__main__":
    main()
