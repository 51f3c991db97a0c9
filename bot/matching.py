"""Find watchlist terms in articles: one pass over the tokens, whatever the number of terms.

Terms and text are both reduced with ``arabic.normalize`` and split into tokens. Terms are never
stemmed (stemmers mangle foreign names: Snowball turns بوتين into وتين). Instead each *text*
token is read as the few (core, ending) pairs it could be, and the core is looked up in a hash
of term forms:

- proclitics و ب ل (+ ف ك, which start too many unrelated words to be trusted before a derived
  form: فروسية is horsemanship, not "so Russian") and the article ال; لل reads as ل + ال;
- endings the *term* accepts: pronouns (ها هم نا ...), nisba (ي ية يين يون), tanween ا, and for
  terms of 5+ letters dual/plural (ان ين ون ات); ة becomes ت before an ending (حكومتها).
  Terms of 3 letters take no ending at all (سول, قطر): short words collide too easily;
- country names ending in ا also match their nisba adjective (روسيا → الروسي، الروسية،
  الروسيين; أمريكا → الأمريكي), and feminine nisba terms their masculine (الشمالية → الشمالي), so
  "كوريا الشمالية" is also found as "الكوري الشمالي" / "الكورية الشمالية".
Only the first token of a multi-word term may carry a proclitic.

Transliteration variants: a folding key plus rapidfuzz verification, no fuzzy search.

- Folding key (both sides): non-initial نج ≡ نغ ("ng": بيونج = بيونغ, جونج = جونغ, انجلترا =
  انغلترا). Initial ج/غ stay apart: نجم (star) ≠ نغم (melody), جاز ≠ غاز.
- A multi-word term is also found written as one word (بيونغ يانغ → بيونغيانغ, عبد الله →
  عبدالله) and a long one-word term as two words.
- A final -ين after a consonant may lose its ي (بوتين → بوتن, ستالين → ستالن), except for
  words starting with ت (تعيين/تعين, تكوين/تكون are different words).
- Long names (6+ letters, and 5+ letters once medial ا/و/ي are dropped: نتنياهو، الكرملين،
  زيلينسكي) also match a spelling with one ا/و/ي more or less. Candidates are found by that
  vowel-less skeleton and verified with rapidfuzz's Levenshtein distance (exactly one insertion
  or deletion). Shorter words are excluded on purpose: one vowel letter turns صاروخ into صارخ,
  معارض into معرض, حكومة into حكمة, فرنسا into فرنسوا; so are words ending in ة or ات (Arabic
  feminine/plural morphology: معارضة/معرضة).
- Vowel substitutions never match (بوتين ≠ بوتان), and neither does ج/ي: كيم يونغ أون is not
  folded into كيم جونغ أون, because Korean Yong and Jong are different names (seed 001 quotes
  كيم يونج هيون, South Korea's defence minister). Admins add such spellings explicitly.

Cost: each distinct token is analysed once per Matcher and memoised, so scanning an article is a
dict lookup per token, then a walk of a token trie (term words → terms) from the tokens that are
term words. Nothing loops over terms; compiling 5,000 terms takes ~0.1 s, so a new Matcher is
built whenever an admin edits a watchlist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from bot.arabic import normalize
from bot.watchlists import Watchlist

__all__ = ["Explanation", "Matcher", "RuleCheck", "TermHit", "TopicMatch"]


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicMatch:
    """A matching topic and the terms (as the admin wrote them) that made it match."""

    slug: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class TermHit:
    """A term that was found, and how the article spelled it (distinct forms, in text order)."""

    term: str
    found: tuple[str, ...]


@dataclass(frozen=True)
class RuleCheck:
    """One rule of a topic: ``all[0]``, ``all[1]``, …, ``any`` or ``none``."""

    rule: str
    terms: tuple[str, ...]
    hits: tuple[TermHit, ...]

    @property
    def hit(self) -> bool:
        return bool(self.hits)


@dataclass(frozen=True)
class Explanation:
    """Why a topic did or did not match an article; ``reasons`` is empty when it matched."""

    slug: str
    name: str
    matched: bool
    rules: tuple[RuleCheck, ...]
    reasons: tuple[str, ...]


# --- token analysis --------------------------------------------------------------------------

_ARABIC = re.compile("[\u0600-\u06ff]")
_DROP_VOWELS = str.maketrans("", "", "اوي")
_MIN_CORE = 3

# و ب ل are unambiguous enough; ف and ك also begin many words (فروسية, كامل), see _readings.
_PROCLITICS = ("و", "ب", "ل", "ف", "ك", "وب", "ول", "وك", "فب", "فل", "فك")

_PRONOUNS = ("ها", "هم", "هما", "هن", "كم", "نا")
_NISBA_ENDINGS = ("ي", "يه", "يين", "يون", "يات")
_SHORT_ENDINGS = frozenset({"", "ا", *_PRONOUNS, *_NISBA_ENDINGS})
_LONG_ENDINGS = _SHORT_ENDINGS | {"ان", "ين", "ون", "ات"}
# Endings of an adjective already in nisba form: روسي → روسيه، روسيين، روسيون، روسيتان.
_NISBA = frozenset({"", "ه", "ين", "ون", "ان", "ات", "تان", "تين"})
# ة is written ت before an ending; such readings are labelled "ة+ending".
_TA_ENDINGS = ("ه", "ها", "هم", "هما", "هن", "كم", "نا", "ي", "ان", "ين")
_TA = frozenset({"ة+" + e for e in _TA_ENDINGS} | {"ة+ات"})


def _ending_table() -> dict[str, tuple[tuple[str, str, str], ...]]:
    """(text ending, restored letters, label), grouped by last letter, longest first."""
    rows = [(e, "", e) for e in _LONG_ENDINGS | _NISBA if e]
    rows += [("ت" + e, "ه", "ة+" + e) for e in _TA_ENDINGS]
    rows.append(("ات", "ه", "ة+ات"))
    table: dict[str, list[tuple[str, str, str]]] = {}
    for row in sorted(rows, key=lambda r: -len(r[0])):
        table.setdefault(row[0][-1], []).append(row)
    return {last: tuple(group) for last, group in table.items()}


_ENDINGS_BY_LAST = _ending_table()


def _is_arabic(word: str) -> bool:
    return _ARABIC.search(word) is not None


def _strip_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) - 2 >= _MIN_CORE else word


def _fold(word: str) -> str:
    """The folding key: non-initial نج spelled نغ (the article does not count as initial)."""
    if "نج" not in word:
        return word
    start = 3 if word.startswith("ال") else 1
    return word[:start] + word[start:].replace("نج", "نغ")


def _skeleton(word: str) -> str:
    """Consonant skeleton: medial ا/و/ي dropped, so spellings differing in vowels collide."""
    if len(word) < 3:
        return word
    return word[0] + word[1:-1].translate(_DROP_VOWELS) + word[-1]


def _readings(token: str) -> Iterator[tuple[str, bool, bool]]:
    """(rest, has proclitic, exact only) for the token and each proclitic it could start with."""
    yield token, False, False
    for clitic in _PROCLITICS:
        if not token.startswith(clitic):
            continue
        rest = token[len(clitic):]
        loose = "ف" in clitic or "ك" in clitic
        if clitic.endswith("ل") and rest.startswith("ل") and len(rest) >= _MIN_CORE:
            yield "ا" + rest, True, False  # لل = ل + ال: للكرملين → الكرملين
        if rest.startswith("ال"):
            loose = False  # فالروسية is unambiguous; فروسية is not
        if len(rest) >= (4 if loose else _MIN_CORE):
            yield rest, True, loose


def _cores(rest: str) -> Iterator[str]:
    yield rest
    if rest.startswith("ال") and len(rest) - 2 >= _MIN_CORE:
        yield rest[2:]


def _endings(core: str) -> Iterator[tuple[str, str]]:
    """(base, ending label) for the core itself and each ending it could carry."""
    yield core, ""
    for ending, restore, label in _ENDINGS_BY_LAST.get(core[-1], ()):
        if core.endswith(ending) and len(core) - len(ending) >= _MIN_CORE:
            yield core[: -len(ending)] + restore, label


# --- term forms ------------------------------------------------------------------------------


def _accepted_endings(word: str) -> frozenset[str]:
    """Endings a term word accepts; short words take none because they collide too easily."""
    size = len(_strip_article(word))
    if size <= 3 or not _is_arabic(word):
        return frozenset({""})
    endings = _SHORT_ENDINGS if size == 4 else _LONG_ENDINGS
    if word.endswith("ه"):
        endings = endings | _TA
    if word.endswith("ي"):
        endings = endings | _NISBA
    return endings


def _nisba_stem(word: str) -> str | None:
    """روسيا → روسي, امريكا → امريكي, الشماليه → شمالي; None when the word has no such form."""
    # Country names keep a leading ال: it is part of the name (المانيا → الماني, not ماني).
    if len(word) >= 5 and word.endswith("يا"):
        return word[:-1]
    if len(word) >= 5 and word.endswith("ا"):
        return word[:-1] + "ي"
    # An adjective agrees with its noun: كوريا الشماليه → كوريين شماليين, so drop ال.
    core = _strip_article(word)
    if len(core) >= 6 and core.endswith("يه"):
        return core[:-1]
    return None


def _in_variant(word: str) -> str | None:
    """بوتين → بوتن: the -in of foreign names is often written without ي."""
    core = _strip_article(word)
    if len(core) >= 5 and core.endswith("ين") and core[-3] not in "اوي" and core[0] != "ت":
        return word[:-2] + "ن"
    return None


def _fuzzy_eligible(word: str) -> bool:
    core = _strip_article(word)
    if len(core) < 6 or core.endswith(("ه", "ات")):
        return False
    return len(_skeleton(core)) >= 5


@dataclass(frozen=True)
class _Form:
    word: int  # id of the term word this form belongs to
    endings: frozenset[str]
    primary: bool  # the word as written, not a derived form


_Hits = dict[int, bool]  # term word id -> found only with a proclitic
_NO_HITS: _Hits = {}  # shared, never mutated


# --- explanations: where tokens are in the original text -------------------------------------


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and unicodedata.category(text[start])[0] in "PSZC":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PSZC":
        end -= 1
    return start, end


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Split a whitespace-free chunk at punctuation, keeping diacritics inside words."""
    piece = start
    for i in range(start, end):
        if text[i] == "_" or unicodedata.category(text[i])[0] in "PS":
            if i > piece:
                yield piece, i
            piece = i + 1
    if end > piece:
        yield piece, end


def _token_spans(text: str, tokens: Sequence[str]) -> list[tuple[int, int]] | None:
    """Span of each normalized token in ``text``, or None if they cannot be aligned."""
    spans: list[tuple[int, int]] = []
    for chunk in re.finditer(r"\S+", text):
        count = len(normalize(chunk.group()).split())
        if count == 1:
            spans.append(_trim(text, *chunk.span()))
        elif count > 1:
            pieces = [p for p in _pieces(text, *chunk.span()) if normalize(text[p[0]:p[1]])]
            single = all(len(normalize(text[a:b]).split()) == 1 for a, b in pieces)
            if len(pieces) == count and single:
                spans.extend(pieces)
            else:
                spans.extend([_trim(text, *chunk.span())] * count)
    return spans if len(spans) == len(tokens) else None


# --- the matcher -----------------------------------------------------------------------------


_SEPARATOR = "\n"  # between title and body tokens; no term form contains it


class _Node:
    """A token-trie node: term words lead to children; terms end here."""

    __slots__ = ("children", "terms")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.terms: list[int] = []


# What a token type is, memoised: the term words it can be (to continue a longer term), the
# one-word terms it completes, and the trie nodes of the longer terms it can start.
_Token = tuple[_Hits, tuple[int, ...], tuple[_Node, ...]]
_NOTHING: _Token = (_NO_HITS, (), ())


@dataclass
class _Topic:
    watchlist: Watchlist
    groups: tuple[tuple[tuple[int, str], ...], ...]  # all-groups of (term id, term as written)
    any: tuple[tuple[int, str], ...]
    none: tuple[tuple[int, str], ...]
    # Term-id sets, so that a verdict is a few C-level set operations on the ids found.
    group_ids: tuple[frozenset[int], ...] = field(init=False)
    any_ids: frozenset[int] = field(init=False)
    none_ids: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        self.group_ids = tuple(frozenset(t for t, _ in group) for group in self.groups)
        self.any_ids = frozenset(t for t, _ in self.any)
        self.none_ids = frozenset(t for t, _ in self.none)


class Matcher:
    """Watchlists compiled for matching; build a new one whenever the watchlists change."""

    _MEMO_LIMIT = 500_000

    def __init__(self, watchlists: Iterable[Watchlist]) -> None:
        self._forms: dict[str, list[_Form]] = {}
        self._skeletons: dict[str, list[tuple[str, _Form]]] = {}
        self._words: dict[tuple[str, bool], int] = {}
        self._terms: dict[tuple[str, ...], int] = {}
        self._root = _Node()
        self._memo: dict[str, _Token] = {}
        self._topics = tuple(self._compile(w) for w in watchlists)
        self._topics_by_term: dict[int, list[int]] = {}
        for index, topic in enumerate(self._topics):
            for term_id, _ in (*(t for g in topic.groups for t in g), *topic.any):
                self._topics_by_term.setdefault(term_id, []).append(index)

    @property
    def watchlists(self) -> tuple[Watchlist, ...]:
        return tuple(topic.watchlist for topic in self._topics)

    # compile ---------------------------------------------------------------------------------

    def _compile(self, watchlist: Watchlist) -> _Topic:
        rules = watchlist.rules
        return _Topic(
            watchlist=watchlist,
            groups=tuple(tuple(self._term(t) for t in group) for group in rules.all),
            any=tuple(self._term(t) for t in rules.any),
            none=tuple(self._term(t) for t in rules.none),
        )

    def _term(self, term: str) -> tuple[int, str]:
        words = tuple(_fold(w) for w in normalize(term).split())
        if words in self._terms:
            return self._terms[words], term
        term_id = self._terms[words] = len(self._terms)
        self._phrase(term_id, [self._word(w, derive=True) for w in words])
        joined = "".join(words)
        if len(words) > 1:
            self._phrase(term_id, [self._word(joined, derive=False)])
        elif len(joined) >= 6 and _is_arabic(joined):
            for cut in range(3, len(joined) - 2):
                parts = (joined[:cut], joined[cut:])
                self._phrase(term_id, [self._word(p, derive=False) for p in parts])
        return term_id, term

    def _phrase(self, term_id: int, words: list[int]) -> None:
        node = self._root
        for word in words:
            child = node.children.get(word)
            if child is None:
                child = node.children[word] = _Node()
            node = child
        if term_id not in node.terms:
            node.terms.append(term_id)

    def _word(self, word: str, derive: bool) -> int:
        key = (word, derive)
        if key in self._words:
            return self._words[key]
        word_id = self._words[key] = len(self._words)
        primary = _Form(word_id, _accepted_endings(word), primary=True)
        self._forms.setdefault(word, []).append(primary)
        if derive and _is_arabic(word):
            self._derived_forms(word, word_id, primary)
        return word_id

    def _derived_forms(self, word: str, word_id: int, primary: _Form) -> None:
        stem = _nisba_stem(word)
        if stem:
            self._forms.setdefault(_fold(stem), []).append(_Form(word_id, _NISBA, primary=False))
        variant = _in_variant(word)
        if variant:
            form = _Form(word_id, _accepted_endings(variant), primary=False)
            self._forms.setdefault(variant, []).append(form)
        if _fuzzy_eligible(word):
            form = _Form(word_id, primary.endings, primary=False)
            self._skeletons.setdefault(_skeleton(word), []).append((word, form))

    # analyse ---------------------------------------------------------------------------------

    def _analyse(self, token: str) -> _Hits:
        hits: _Hits = {}
        if not _is_arabic(token):
            for form in self._forms.get(token, ()):
                if form.primary:
                    hits[form.word] = False
            return hits or _NO_HITS
        for rest, clitic, exact in _readings(token):
            for core in _cores(rest):
                for base, ending in _endings(core):
                    if exact and ending:
                        break
                    self._lookup(_fold(base), ending, clitic, exact, hits)
        return hits or _NO_HITS

    def _lookup(self, base: str, ending: str, clitic: bool, exact: bool, hits: _Hits) -> None:
        for form in self._forms.get(base, ()):
            if ending in form.endings and (form.primary or not exact):
                hits[form.word] = hits.get(form.word, True) and clitic
        if exact or len(base) < 5 or not self._skeletons:
            return
        for word, form in self._skeletons.get(_skeleton(base), ()):
            if (
                ending in form.endings
                and abs(len(word) - len(base)) == 1
                and Levenshtein.distance(word, base, score_cutoff=1) == 1
            ):
                hits[form.word] = hits.get(form.word, True) and clitic

    def _token(self, token: str) -> _Token:
        hits = self._analyse(token)
        if not hits:
            return _NOTHING
        roots = self._root.children
        nodes = [roots[word] for word in hits if word in roots]  # may carry a proclitic
        ends = tuple(dict.fromkeys(term_id for node in nodes for term_id in node.terms))
        return hits, ends, tuple(node for node in nodes if node.children)

    def _tokens_of(self, tokens: Sequence[str]) -> list[_Token]:
        memo = self._memo
        if len(memo) > self._MEMO_LIMIT:
            memo.clear()
        out = list(map(memo.get, tokens))
        if None in out:
            for i, known in enumerate(out):
                if known is None:
                    token = tokens[i]
                    known = memo.get(token)  # a repeat of a token first seen in this article
                    if known is None:
                        known = memo[token] = self._token(token)
                    out[i] = known
        return out  # type: ignore[return-value]

    def _found(self, tokens: Sequence[str]) -> set[int]:
        """Ids of the terms in the text; the hot path, so no positions."""
        infos = self._tokens_of(tokens)
        found: set[int] = set()
        longer: list[tuple[int, int, int]] = []
        for i, info in enumerate(infos):
            if info is _NOTHING:
                continue
            found.update(info[1])
            for node in info[2]:
                _walk(node, i, i + 1, infos, longer)
        found.update(term_id for term_id, _, _ in longer)
        return found

    def _spans(self, tokens: Sequence[str]) -> dict[int, list[tuple[int, int]]]:
        """Term id -> token spans [start, end) where the term occurs."""
        infos = self._tokens_of(tokens)
        found: dict[int, list[tuple[int, int]]] = {}
        longer: list[tuple[int, int, int]] = []
        for i, (_, ends, nodes) in enumerate(infos):
            for term_id in ends:
                found.setdefault(term_id, []).append((i, i + 1))
            for node in nodes:
                _walk(node, i, i + 1, infos, longer)
        for term_id, start, end in longer:
            found.setdefault(term_id, []).append((start, end))
        return found

    @staticmethod
    def _tokens(title: str, body: str) -> tuple[list[str], list[str]]:
        return normalize(title).split(), normalize(body).split()

    # public ----------------------------------------------------------------------------------

    def match(self, title: str, body: str) -> list[TopicMatch]:
        """Topics the article matches, in watchlist order."""
        head, tail = self._tokens(title, body)
        found = self._found([*head, _SEPARATOR, *tail])
        touched = sorted({t for term_id in found for t in self._topics_by_term.get(term_id, ())})
        out: list[TopicMatch] = []
        for index in touched:
            topic = self._topics[index]
            if _matches(topic, found):
                out.append(TopicMatch(topic.watchlist.slug, _matched_terms(topic, found)))
        return out

    def explain(self, title: str, body: str) -> list[Explanation]:
        """For every topic: each rule's hits with the article's spellings, and the verdict."""
        head, tail = self._tokens(title, body)
        tokens = [*head, _SEPARATOR, *tail]
        found = self._spans(tokens)
        surfaces = [*_surfaces(title, head), ("", 0, 0), *_surfaces(body, tail)]
        return [_explain(topic, found, surfaces) for topic in self._topics]


def _walk(
    node: _Node, start: int, end: int, infos: list[_Token], out: list[tuple[int, int, int]]
) -> None:
    """Append (term id, start, end) for the longer terms that continue at token ``end``.

    Only the first word of a term may carry a proclitic: كوريا والشمالية is not a match.
    """
    if end >= len(infos):
        return
    for word, clitic in infos[end][0].items():
        child = None if clitic else node.children.get(word)
        if child is None:
            continue
        out.extend((term_id, start, end + 1) for term_id in child.terms)
        if child.children:
            _walk(child, start, end + 1, infos, out)


def _surfaces(text: str, tokens: list[str]) -> list[tuple[str, int, int]]:
    spans = _token_spans(text, tokens)
    if spans is None:  # alignment failed: show the normalized tokens rather than guess
        return [(token, 0, len(token)) for token in tokens]
    return [(text, start, end) for start, end in spans]


def _matches(topic: _Topic, found: AbstractSet[int]) -> bool:
    if not found.isdisjoint(topic.none_ids):
        return False
    if topic.any_ids and found.isdisjoint(topic.any_ids):
        return False
    return not any(found.isdisjoint(group) for group in topic.group_ids)


def _matched_terms(topic: _Topic, found: AbstractSet[int]) -> tuple[str, ...]:
    terms = [term for group in topic.groups for t, term in group if t in found]
    terms += [term for t, term in topic.any if t in found]
    return tuple(dict.fromkeys(terms))


def _explain(
    topic: _Topic, found: dict[int, list[tuple[int, int]]], surfaces: list[tuple[str, int, int]]
) -> Explanation:
    rules = [_check(f"all[{i}]", group, found, surfaces) for i, group in enumerate(topic.groups)]
    if topic.any:
        rules.append(_check("any", topic.any, found, surfaces))
    if topic.none:
        rules.append(_check("none", topic.none, found, surfaces))
    reasons = []
    for rule in rules:
        if rule.rule == "none":
            reasons += [f"none: {h.term} found as {' / '.join(h.found)}" for h in rule.hits]
        elif not rule.hit:
            reasons.append(f"{rule.rule}: none of {', '.join(rule.terms)} found")
    return Explanation(
        slug=topic.watchlist.slug,
        name=topic.watchlist.name,
        matched=not reasons,
        rules=tuple(rules),
        reasons=tuple(reasons),
    )


def _check(
    rule: str,
    terms: tuple[tuple[int, str], ...],
    found: dict[int, list[tuple[int, int]]],
    surfaces: list[tuple[str, int, int]],
) -> RuleCheck:
    hits = []
    for term_id, term in terms:
        if term_id in found:
            forms = [_surface(surfaces, start, end) for start, end in found[term_id]]
            hits.append(TermHit(term, tuple(dict.fromkeys(forms))))
    return RuleCheck(rule, tuple(term for _, term in terms), tuple(hits))


def _surface(surfaces: list[tuple[str, int, int]], start: int, end: int) -> str:
    text, begin, _ = surfaces[start]
    _, _, finish = surfaces[end - 1]
    return " ".join(text[begin:finish].split())
