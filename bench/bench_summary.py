"""ROUGE of raqib's summarizer against lead-3 and LexRank on EASC (5 human summaries/article).

Run from the repo root: ``.venv/bin/python bench/bench_summary.py``. Reads ../shared/data/easc
in place; nothing is copied into the project.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence  # noqa: E402
from sumy.summarizers.lex_rank import LexRankSummarizer  # noqa: E402

from bot.arabic import split_sentences, tokens  # noqa: E402
from bot.summarize import stopwords, summarize  # noqa: E402

EASC = REPO.parent / "shared" / "data" / "easc"
ARTICLES = EASC / "EASC-UTF-8" / "Articles"
REFERENCES = EASC / "EASC-UTF-8" / "MTurk"
BUDGET_SENTENCES = 3
BUDGET_CHARS = 550
UNLIMITED = 10**9

_TERMINAL = ".!?؟…"
_CLOSERS = "\"”»’›)"


@dataclass(frozen=True)
class Doc:
    name: str
    body: str
    references: list[str]
    news: bool


# --- data ----------------------------------------------------------------------------------


def load() -> list[Doc]:
    news = _news_names()
    docs = []
    for topic in sorted(ARTICLES.iterdir(), key=lambda p: int(p.name.removeprefix("Topic"))):
        (article,) = [p for p in topic.iterdir() if p.suffix.lower() == ".txt"]
        ref_files = sorted((REFERENCES / topic.name).iterdir())
        refs = [p.read_text(encoding="utf-8-sig") for p in ref_files]
        body = unwrap(article.read_text(encoding="utf-8-sig"))
        docs.append(Doc(article.stem, body, refs, _key(article.stem) in news))
    return docs


def _news_names() -> set[str]:
    """Newspaper (Alwatan, Alrai) articles, as "finance 16"-style keys."""
    with (EASC / "SOURCES.CSV").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return {_key(r[0]) for r in rows[1:] if len(r) > 2 and "Newspaper" in r[2]}


def _key(name: str) -> str:
    return " ".join(re.sub(r"[()]", " ", name).lower().split())


def unwrap(text: str) -> str:
    """Rejoin EASC's hard-wrapped newspaper lines: raqib's bodies come one paragraph per line."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if current and (not line.strip() or line[:1].isspace() or _ends_sentence(current[-1])):
            paragraphs.append(" ".join(current))
            current = []
        if line.strip():
            current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


def _ends_sentence(line: str) -> bool:
    return line.rstrip().rstrip(_CLOSERS)[-1:] in _TERMINAL


# --- ROUGE ---------------------------------------------------------------------------------

# EASC's references were normalized like this (data README); both sides get the same treatment.
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه"})


def rouge_tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", _MARKS.sub("", text).translate(_FOLD).lower())


def _ngrams(toks: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def rouge_f1(candidate: list[str], reference: list[str], n: int) -> float:
    cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
    hits = sum((cand & ref).values())
    if not hits:
        return 0.0
    precision, recall = hits / sum(cand.values()), hits / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def rouge_vs_refs(summary: str, refs: list[str], n: int) -> float:
    """Mean F1 over the references (not max: each human's choice counts)."""
    cand = rouge_tokens(summary)
    return mean(rouge_f1(cand, rouge_tokens(r), n) for r in refs)


# --- systems -------------------------------------------------------------------------------


def _fits(texts: list[str], max_chars: int) -> list[str]:
    """Greedy fill in the given order: up to the sentence budget, skipping what would overflow."""
    out: list[str] = []
    used = -1
    for text in texts:
        if len(out) < BUDGET_SENTENCES and used + 1 + len(text) <= max_chars:
            out.append(text)
            used += 1 + len(text)
    return out


def lead(body: str, max_chars: int) -> str:
    return " ".join(_fits(split_sentences(body), max_chars))


class _Tokenizer:
    """sumy's Arabic tokenizer wants pyarabic and nltk data; raqib's split keeps it comparable."""

    language = "arabic"

    @staticmethod
    def to_sentences(paragraph: str) -> list[str]:
        return split_sentences(paragraph)

    @staticmethod
    def to_words(sentence: str) -> list[str]:
        return tokens(sentence)


_LEXRANK = LexRankSummarizer()
_LEXRANK.stop_words = stopwords()


def lexrank(body: str, max_chars: int) -> str:
    """sumy LexRank; its callable count receives sentences best-rated first."""
    tokenizer = _Tokenizer()
    paragraphs = [
        Paragraph([Sentence(s, tokenizer) for s in split_sentences(line)])
        for line in body.splitlines()
    ]
    document = ObjectDocumentModel(paragraphs)

    def budget(infos: list) -> list:
        keep = set(_fits([str(i.sentence) for i in infos], max_chars))
        return [i for i in infos if str(i.sentence) in keep]

    return " ".join(str(s) for s in _LEXRANK(document, budget))


def raqib(body: str, max_chars: int) -> str:
    # EASC has no titles; the body's own first line is a sentence, not a heading.
    return summarize("", body, max_chars=max_chars)


SYSTEMS: list[tuple[str, Callable[[str, int], str]]] = [
    ("lead-3", lead),
    ("LexRank-3", lexrank),
    ("raqib", raqib),
]
BUDGETS = [
    ("3 sentences, no char limit (equal sentence budget)", UNLIMITED),
    (f"<= 3 sentences within {BUDGET_CHARS} chars (raqib as shipped)", BUDGET_CHARS),
]


# --- report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    r1: float
    r2: float
    chars: float
    sentences: float


def score(doc: Doc, summary: str) -> Row:
    return Row(
        rouge_vs_refs(summary, doc.references, 1),
        rouge_vs_refs(summary, doc.references, 2),
        len(summary),
        len(split_sentences(summary)),
    )


def average(rows: list[Row]) -> Row:
    return Row(*(mean(getattr(r, f) for r in rows) for f in ("r1", "r2", "chars", "sentences")))


def main() -> None:
    docs = load()
    news = [d for d in docs if d.news]
    print(f"EASC: {len(docs)} articles ({len(news)} newspaper); ROUGE F1, mean over 5 references")
    header = (
        f"{'':<12}{'R-1':>7}{'R-2':>7}{'chars':>7}{'sents':>7}"
        f"  | news:{'R-1':>6}{'R-2':>7}{'chars':>7}"
    )
    for label, max_chars in BUDGETS:
        print(f"\n{label}\n{header}\n{'-' * len(header)}")
        for name, system in SYSTEMS:
            rows = {d.name: score(d, system(d.body, max_chars)) for d in docs}
            every, paper = average(list(rows.values())), average([rows[d.name] for d in news])
            print(
                f"{name:<12}{every.r1:7.3f}{every.r2:7.3f}{every.chars:7.0f}{every.sentences:7.2f}"
                f"  |      {paper.r1:6.3f}{paper.r2:7.3f}{paper.chars:7.0f}"
            )


if __name__ == "__main__":
    main()
