"""Any number of distinct, realistic Arabic news articles, made deterministically from SaudiNewsNet.

Why the generated articles are a fair load for ingest, dedup and search at archive scale:

- **Every word and sentence is real news copy.** A fresh article is a real article's headline and
  lead sentence followed by 5-11 real sentences drawn from *other* articles of the same outlet
  (SaudiNewsNet's 14 outlets stand in for sections: the sports paper's sentences stay in sports
  copy). Term frequencies and the document frequencies of the search index are therefore those of
  real Saudi news, sentence lengths and punctuation too: the search vocabulary, its posting lists,
  the summarizer, the event-date reader and the matcher see the text they see in life.
- **Copies at a realistic rate.** 2% of articles are exact copies of an article of the last few
  hundred (a wire story republished word for word by another outlet: dropped as a duplicate) and 8%
  are near copies (the same story with one sentence cut: joined to its story by the LSH bands), so
  dedup, near-duplicate and same-event work costs what it costs in a real feed mix. The rest share
  at most a few sentences with one another, as rewritten reports do.
- **Dates advance at a fixed daily rate** (``per_day``, 1,000 by default: SaudiNewsNet's 14 outlets
  publish ~1,600 a day), so a store of 1M spans ~2.7 years and a store of 10k ten days: the dedup
  and same-event windows (days) hold the same number of recent articles at every size, as in life,
  where an archive grows by time, not by density. Only the archive behind the window grows.
- **Deterministic per article:** article ``i`` depends only on the seed and ``i`` (its own
  ``random.Random``), so a build can stop and resume anywhere, and the probe articles after a
  store's end are the ones a longer build would have stored next.

What it does not reproduce: the vocabulary stops at SaudiNewsNet's (~8k articles), where a real
archive keeps meeting new names (Heaps' law), so at 1M a "rare" word is in more documents than a
real rare word would be (dearer posting lists, a smaller vocabulary), and a sentence recurs every
~100k articles. The texts are made in memory and written only to the bench's own folders, never
into the project.
"""

from __future__ import annotations

import json
import random
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.text.arabic import split_sentences

SNN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "saudinewsnet"
EXACT = 0.02  # word-for-word republications
NEAR = 0.08  # the same report with one sentence cut
RECENT = 500  # a copy is of one of the last RECENT articles (the same day or the day before)


@dataclass(frozen=True)
class Generated:
    index: int
    title: str
    sentences: tuple[str, ...]
    published: datetime
    kind: str  # "fresh", "exact copy", "near copy"

    def file_text(self) -> str:
        """The article as `raqib ingest` reads a .txt file: headline, stated date, paragraphs."""
        paras = [" ".join(self.sentences[k:k + 3]) for k in range(0, len(self.sentences), 3)]
        return f"{self.title}\n{self.published:%Y-%m-%d}\n" + "\n".join(paras) + "\n"

    @property
    def body(self) -> str:
        return "\n".join(" ".join(self.sentences[k:k + 3]) for k in range(0, len(self.sentences), 3))


class Corpus:
    """SaudiNewsNet's articles by outlet, and article ``i`` of a seeded sequence made from them."""

    def __init__(self, seed: int = 7, start: datetime | None = None, per_day: int = 1000, data: Path = SNN) -> None:
        self.seed, self.start, self.per_day = seed, start, per_day
        self.items: list[tuple[str, str, str]] = []  # (outlet, title, lead sentence)
        self.pool: dict[str, list[str]] = {}
        seen: set[str] = set()
        for archive in sorted(data.glob("*.zip")):
            with zipfile.ZipFile(archive) as z:
                for name in z.namelist():
                    for item in json.loads(z.read(name)):
                        title = " ".join((item.get("title") or "").split())
                        sentences = [s for s in split_sentences(item.get("content") or "") if 30 <= len(s) <= 400]
                        if not title or len(sentences) < 2 or title in seen:
                            continue
                        seen.add(title)
                        outlet = item.get("source") or "-"
                        self.items.append((outlet, title, sentences[0]))
                        self.pool.setdefault(outlet, []).extend(sentences[1:])
        self._cache: dict[int, tuple[str, tuple[str, ...], str]] = {}

    def when(self, i: int) -> datetime:
        assert self.start is not None, "a corpus that dates articles needs its start"
        return self.start + timedelta(days=(i - 1) / self.per_day)

    def article(self, i: int) -> Generated:
        title, sentences, kind = self._text(i)
        return Generated(i, title, sentences, self.when(i), kind)

    def _text(self, i: int) -> tuple[str, tuple[str, ...], str]:
        if i in self._cache:
            return self._cache[i]
        rng = random.Random(self.seed * 1_000_000_007 + i)
        r = rng.random()
        if i > 1 and r < EXACT + NEAR:
            j = i - rng.randint(1, min(i - 1, RECENT))
            title, sentences, _ = self._text(j)
            if r < EXACT or len(sentences) < 4:
                out = (title, sentences, "exact copy")
            else:
                cut = rng.randrange(1, len(sentences))
                out = (title, sentences[:cut] + sentences[cut + 1:], "near copy")
        else:
            outlet, title, lead = rng.choice(self.items)
            pool = self.pool[outlet]
            out = (title, (lead, *(rng.choice(pool) for _ in range(rng.randint(5, 11)))), "fresh")
        if len(self._cache) > 4 * RECENT:  # copies look back RECENT articles at most
            self._cache.clear()
        self._cache[i] = out
        return out
