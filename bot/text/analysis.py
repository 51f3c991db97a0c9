"""An article's text analyzed once, for every stage that reads it.

Fingerprint, band keys, exact-duplicate hash, search keys, topic matching and the summary each
normalized the same body again (about six times an article); an ``Analyzed`` makes each form on
first use and hands the same one to all of them. Every form is exactly what the stage made itself
(``normalize(body).split()`` is the matcher's, the fingerprint's and the search keys' tokens), so
results do not change; the stages still take plain text when no analysis is given.
"""

from __future__ import annotations

from functools import cached_property

from bot.text.arabic import normalize, unwrap


class Analyzed:
    """Lazily computed forms of one title and body (the key text, its tokens, the body's lines)."""

    def __init__(self, title: str, body: str) -> None:
        self.title = title
        self.body = body

    @cached_property
    def title_key(self) -> str:
        """``normalize(title)``."""
        return normalize(self.title)

    @cached_property
    def body_key(self) -> str:
        """``normalize(body)``: the exact-duplicate hash's text; its words are everyone's tokens."""
        return " ".join(self.body_words)

    @cached_property
    def title_words(self) -> list[str]:
        return self.title_key.split()

    @cached_property
    def body_words(self) -> list[str]:
        """``normalize(body).split()``, made line by line: a word never spans a line break and every
        step of ``normalize`` reads one character at a time, so the words are the same, and each
        line's key is then in ``normalize``'s cache for the stages that read the body by line
        (``dedup.lead_band_keys``' paragraphs, the summary's lines)."""
        return [word for line in self.body.splitlines() for word in normalize(line).split()]

    @cached_property
    def lines(self) -> list[str]:
        """The body's lines with hard wraps rejoined (``unwrap``): the summary's paragraphs."""
        return unwrap(self.body).splitlines()
