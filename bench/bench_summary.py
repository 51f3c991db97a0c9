"""ROUGE of raqib's summarizer beside lead-k, LexRank and a greedy oracle on EASC.

Run from the repo root: ``.venv/bin/python bench/bench_summary.py``. Reads ../shared/data/easc
in place; nothing is copied into the project. Two budgets: k sentences, k being the median
sentence count of the article's 5 human references (no character limit), and the shipped
budget (<= 3 sentences within 550 characters). Two sets: all 153 articles and the 47 newspaper
articles (most of them hard-wrapped at ~78 columns).

raqib gets each article exactly as the file holds it (hard wraps included): rejoining the lines
is raqib's job. The baselines get the bench's own ``unwrap`` (a wrap-aware reader written for
EASC), so they are not handicapped by the layout: the bar is raqib >= lead-k on both.
Issue 11's figures before this work (R-2, budget k, all): lead-k 0.430, LexRank 0.320,
oracle 0.520, raqib 0.365; shipped budget: raqib 0.294, lead 0.342, oracle 0.425.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, median

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence  # noqa: E402
from sumy.summarizers.lex_rank import LexRankSummarizer  # noqa: E402

from bot.text.arabic import split_sentences, tokens  # noqa: E402
from bot.text.summarize import stopwords, summarize  # noqa: E402

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
    raw: str  # the file as written, for raqib
    body: str  # lines rejoined by the bench, for the baselines
    references: list[str]
    news: bool

    @property
    def k(self) -> int:
        """Median sentence count of the 5 references: the sentence budget a human chose."""
        return max(1, round(median(len(split_sentences(r)) for r in self.references)))


# --- data ----------------------------------------------------------------------------------


def load() -> list[Doc]:
    news = _news_names()
    docs = []
    for topic in sorted(ARTICLES.iterdir(), key=lambda p: int(p.name.removeprefix("Topic"))):
        (article,) = [p for p in topic.iterdir() if p.suffix.lower() == ".txt"]
        ref_files = sorted((REFERENCES / topic.name).iterdir())
        refs = [p.read_text(encoding="utf-8-sig") for p in ref_files]
        raw = article.read_text(encoding="utf-8-sig")
        docs.append(Doc(article.stem, raw, unwrap(raw), refs, _key(article.stem) in news))
    return docs


def _news_names() -> set[str]:
    """Newspaper (Alwatan, Alrai) articles, as "finance 16"-style keys."""
    with (EASC / "SOURCES.CSV").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return {_key(r[0]) for r in rows[1:] if len(r) > 2 and "Newspaper" in r[2]}


def _key(name: str) -> str:
    return " ".join(re.sub(r"[()]", " ", name).lower().split())


def unwrap(text: str) -> str:
    """Rejoin EASC's hard-wrapped newspaper lines (paragraphs are indented); baselines only."""
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


@dataclass(frozen=True)
class Budget:
    label: str
    sentences: int | None  # None: the article's own k
    chars: int

    def of(self, doc: Doc) -> tuple[int, int]:
        return (self.sentences or doc.k), self.chars


def _fits(texts: list[str], max_sentences: int, max_chars: int) -> list[str]:
    """Greedy fill in the given order: up to the sentence budget, skipping what would overflow."""
    out: list[str] = []
    used = -1
    for text in texts:
        if len(out) < max_sentences and used + 1 + len(text) <= max_chars:
            out.append(text)
            used += 1 + len(text)
    return out


def lead(doc: Doc, max_sentences: int, max_chars: int) -> str:
    return " ".join(_fits(split_sentences(doc.body), max_sentences, max_chars))


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


def lexrank(doc: Doc, max_sentences: int, max_chars: int) -> str:
    """sumy LexRank; its callable count receives sentences best-rated first."""
    tokenizer = _Tokenizer()
    paragraphs = [
        Paragraph([Sentence(s, tokenizer) for s in split_sentences(line)])
        for line in doc.body.splitlines()
    ]
    document = ObjectDocumentModel(paragraphs)

    def budget(infos: list) -> list:
        keep = set(_fits([str(i.sentence) for i in infos], max_sentences, max_chars))
        return [i for i in infos if str(i.sentence) in keep]

    return " ".join(str(s) for s in _LEXRANK(document, budget))


def oracle(doc: Doc, max_sentences: int, max_chars: int) -> str:
    """Greedy oracle: add the sentence that most raises R-1 + R-2 against the references."""
    sentences = split_sentences(doc.body)
    refs = [rouge_tokens(r) for r in doc.references]
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < max_sentences:
        used = sum(len(sentences[i]) for i in chosen) + len(chosen) - 1
        gains = []
        for i, s in enumerate(sentences):
            if i in chosen or used + 1 + len(s) > max_chars:
                continue
            cand = rouge_tokens(" ".join(sentences[j] for j in sorted([*chosen, i])))
            gains.append((mean(rouge_f1(cand, r, 1) + rouge_f1(cand, r, 2) for r in refs), i))
        if not gains or max(gains)[0] <= best:
            break
        best, pick = max(gains)
        chosen.append(pick)
    return " ".join(sentences[i] for i in sorted(chosen))


def raqib(doc: Doc, max_sentences: int, max_chars: int) -> str:
    # EASC has no titles; raqib reads the file as written, hard wraps and all.
    return summarize("", doc.raw, max_chars=max_chars, max_sentences=max_sentences)


SYSTEMS: list[tuple[str, Callable[[Doc, int, int], str]]] = [
    ("lead-k", lead),
    ("LexRank", lexrank),
    ("oracle", oracle),
    ("raqib", raqib),
]
BUDGETS = [
    Budget("k sentences (median of the 5 references), no char limit", None, UNLIMITED),
    Budget(f"<= {BUDGET_SENTENCES} sentences within {BUDGET_CHARS} chars (shipped)",
           BUDGET_SENTENCES, BUDGET_CHARS),
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
    print(f"median k: all {median(d.k for d in docs)}, news {median(d.k for d in news)}")
    header = (
        f"{'':<10}{'R-1':>7}{'R-2':>7}{'chars':>7}{'sents':>7}"
        f"  | news:{'R-1':>6}{'R-2':>7}{'chars':>7}"
    )
    verdicts = []
    for budget in BUDGETS:
        print(f"\n{budget.label}\n{header}\n{'-' * len(header)}")
        results: dict[str, tuple[Row, Row]] = {}
        for name, system in SYSTEMS:
            rows = {d.name: score(d, system(d, *budget.of(d))) for d in docs}
            every, paper = average(list(rows.values())), average([rows[d.name] for d in news])
            results[name] = (every, paper)
            print(
                f"{name:<10}{every.r1:7.3f}{every.r2:7.3f}{every.chars:7.0f}{every.sentences:7.2f}"
                f"  |      {paper.r1:6.3f}{paper.r2:7.3f}{paper.chars:7.0f}"
            )
        for part, label in ((0, "all"), (1, "news")):
            ours, base = results["raqib"][part], results["lead-k"][part]
            ok = ours.r1 >= base.r1 and ours.r2 >= base.r2
            verdicts.append(f"{'ok ' if ok else 'LOW'} {budget.label[:12]}.. {label}: raqib "
                            f"R-1 {ours.r1:.3f} / R-2 {ours.r2:.3f} vs lead-k {base.r1:.3f} / {base.r2:.3f}")
    print("\nbar (raqib >= lead-k on R-1 and R-2):")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
