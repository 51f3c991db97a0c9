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
Only the first token of a multi-word term may carry a proclitic: a conjunction or preposition on
a later word breaks the phrase (كوريا والشمالية is "Korea and the northern …"); later words still
take the article and their endings (الكوريين الشماليين).

Spelling variants, each named by ``explain`` ("ترمب ≈ ترامب: vowel letter"). Found without fuzzy
search: either the variant spellings of a term word are enumerated when the Matcher is built (a
few per word) and looked up like any form, or a folding key indexes the term word and rapidfuzz
verifies the candidate.

- Folding key (both sides): non-initial نج ≡ نغ ("ng letters": بيونج = بيونغ). Initial ج/غ stay
  apart in 3-letter words: نجم (star) ≠ نغم (melody), جاز ≠ غاز.
- One word / two words: بيونغ يانغ → بيونغيانغ, عبد الله → عبدالله; a long word split in two.
- "-in ending": a final -ين after a consonant may lose its ي (بوتين → بوتن), not in words
  starting with ت (تعيين/تعين).
- "vowel letter": one ا/و/ي more or less. Long words (6+ letters with 5+ consonants: نتنياهو،
  الكرملين) anywhere medial; short name-like words (4-5 letters) only between consonants or as
  the diphthong اي/ي (ترامب/ترمب، كابول/كابل، بلير/بلاير). "Name-like" is data: an ordinary word
  is one the dev data shows both with the article and without it (bot/data/lexicon_ar.tsv:
  صارخ، معرض، قرار), which a foreign name almost never is (no الترامب). Ordinary words get no
  short vowel variants (قرار ≠ قرر), and no variant is ever an ordinary word (صاروخ ≠ صارخ).
- Letters that write one foreign sound: "g letter" غ/ج (any word of 4+ letters: ريغان/ريجان),
  ك/ق for them only in words of 6+ letters, the -ng ending or throughout a word (غوغل → قوقل,
  since كانا/غانا, كينيا/غينيا, غيري/كيري are other words); "t letter" ت/ط (طهران/تهران);
  "s letter" س/ص; "ch letters" تش/ش/ج (تشافيز/شافيز); "j/y letter": initial ج/ي of a Korean
  syllable in -نغ (كيم يونغ أون = كيم جونغ أون, while كيم يونج هيون and كيم يونغ نام stay other
  Kims: the whole phrase must match). گ چ پ ڤ are folded by ``normalize``. One substitution (or
  one letter throughout the word) per word, never two kinds.
- "doubled letter": a consonant doubled or undoubled in a word of 5+ letters (هيلاري/هيللاري);
  "transposed letters": two neighbouring letters swapped in a word of 6+ letters (أمريكا/أميركا).
  The skeleton index (medial vowels dropped, doubled letters single) finds both, and vowels.
- "article ال": a term with ال is found without it as an indefinite nisba (العراق → عراقي،
  الحوثي → حوثيين) and, for a long name, bare (الكرملين → كرملين) unless the bare word is common
  on its own (المغرب/مغرب). A term without ال is found with it (كرملين → الكرملين).
- A short name's variant takes no ending (بروتين is not بيروت + ين, هولندي not هولاند + ي).
- The name guard (bot/data/name_guard.txt) lists other names and words: a reading that cuts into
  one (a proclitic, the article, an ending, a variant) is refused: بكين is not ب + كين, الرياضية
  not الرياض + nisba, and a multiword entry guards its first word when the rest follows:
  بروسيا دورتموند (the club) is not ب + روسيا, while بروسيا alone still is "in Russia".
- Vowel substitutions never match (بوتين ≠ بوتان).

Cost: each distinct token is analysed once per Matcher and memoised, so scanning an article is a
dict lookup per token, then a walk of a token trie (term words → terms) from the tokens that are
term words. Nothing loops over terms; compiling 5,000 terms takes a fraction of a second (the
variants of a word are memoised across Matchers), so a new Matcher is built whenever an admin
edits a watchlist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

from bot.text.analysis import Analyzed
from bot.text.arabic import normalize
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
    """A term that was found, and how the article spelled it (distinct forms, in text order).

    ``variants`` names each spelling-variant rule that made a form match, as
    ``(article's word, term's word, rule)``: ("ترمب", "ترامب", "vowel letter").
    """

    term: str
    found: tuple[str, ...]
    variants: tuple[tuple[str, str, str], ...] = ()


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
# The proclitics by first letter, in _PROCLITICS order: a token is tested only against its own.
_PROCLITICS_BY_FIRST = {first: tuple(c for c in _PROCLITICS if c[0] == first) for first in {c[0] for c in _PROCLITICS}}

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


# --- data: ordinary words and other names ------------------------------------------------------

_DATA = Path(__file__).resolve().parents[1] / "data"


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, tuple[int, int]]:
    """word -> (bare count, count with ال) in the dev data (bench/mine_spellings.py --lexicon)."""
    out: dict[str, tuple[int, int]] = {}
    for line in (_DATA / "lexicon_ar.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, bare, definite = line.split("\t")
            out[word] = (int(bare), int(definite))
    return out


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Ordinary Arabic words: seen with the article ال, which foreign names almost never take,
    and also without it (a name that keeps its ال, كرملين 0 / الكرملين 6, is not one)."""
    return frozenset(w for w, (bare, definite) in _lexicon().items() if definite >= 2 and bare >= 2)


@lru_cache(maxsize=1)
def _guard_entries() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """bot/data/name_guard.txt: (one-word entries, first word -> second words of longer ones)."""
    single: set[str] = set()
    pairs: dict[str, set[str]] = {}
    for line in (_DATA / "name_guard.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        words = normalize(line).split()
        if len(words) == 1:
            single.add(words[0])
        elif len(words) > 1:
            pairs.setdefault(words[0], set()).add(words[1])
    return frozenset(single), {k: frozenset(v) for k, v in pairs.items()}


# --- spelling variants of name-like words ------------------------------------------------------

_VOWELS = frozenset("اوي")
# Letters that write the same foreign sound: g (غ ج ك ق; گ is folded to ك), t (ت ط), s (س ص).
_SOUND_CLASSES = (("غجكق", "g letter"), ("تط", "t letter"), ("سص", "s letter"))
_SOUND_OF = {ch: (group, label) for group, label in _SOUND_CLASSES for ch in group}
# "ch": تش, ش and ج (چ is folded to ج) write it: تشافيز = شافيز, تشانغ = جانغ.
_CH = ("تش", "ش", "ج")
_MIN_VARIANT = 4


_CLITIC_ARTICLE = ("وال", "بال", "فال", "كال", "لل")
_INFLECTIONS = ("ها", "هم", "هما", "هن", "كم", "نا")  # not ان/ين: طالبان is a name


@lru_cache(maxsize=65_536)
def _variant_shaped(word: str) -> bool:
    """May have spelling variants at all: Arabic, 4+ letters, not feminine/plural, no clitic+ال."""
    core = _strip_article(word)
    return (
        len(core) >= _MIN_VARIANT
        and not word.startswith(_CLITIC_ARTICLE)
        and not core.endswith(("ه", "ات"))
        and _is_arabic(core)
    )


def _name_like(word: str) -> bool:
    """Not an ordinary word: ordinary words are seen both with the article and without it in the
    dev data (bot/data/lexicon_ar.tsv): صارخ, معرض, قرار; not ترامب, not كرملين.

    Only name-like words take a vowel letter more or less in a short word (قرار is not قرر) and
    the Korean j/y letter; the other classes hold for any word of their length.
    """
    if not _variant_shaped(word):
        return False
    common = _common_words()
    if _strip_article(word) in common:
        return False
    # An ordinary word with a clitic or a pronoun is no name either: و+مركز, ل+طلب, مطالب+ها.
    if word[0] in "وفبلك" and word[1:] in common:
        return False
    return not any(word.endswith(e) and word[: -len(e)] in common for e in _INFLECTIONS)


def _edits(word: str) -> Iterator[tuple[str, str]]:
    """(variant, rule): one edit of a kind transliteration makes, never two.

    A vowel letter or a doubled letter more or less, and a swap with a vowel letter, are not
    enumerated here: the skeleton index finds them (``_index_key``, ``_one_letter_rule``).
    """
    n = len(word)
    # A short ordinary word keeps its letters (المغرب is not المجرب); names and long words vary.
    name_like = n >= 6 or _name_like(word)
    for i, letter in enumerate(word):
        sound = _SOUND_OF.get(letter)
        if sound:
            group, label = sound
            # غ and ج both write g (ريغان/ريجان) in words of any length; but in a short word ك
            # or ق for them makes other words too often (كانا/غانا, كينيا/غينيا, غيري/كيري,
            # بقينا/بكين in the dev data): there only the -ng ending (بيونك) and a sound written
            # the same way throughout (غوغل → قوقل) count.
            ng = label == "g letter" and i == n - 1 and word[i - 1] == "ن"
            for other in group:
                if other == letter:
                    continue
                g_pair = label != "g letter" or (letter in "غج" and other in "غج")
                if n >= 6 or ng or (name_like and g_pair):
                    yield word[:i] + other + word[i + 1:], label
                if name_like and word.count(letter) > 1:  # one sound, one letter: غوغل → جوجل
                    yield word.replace(letter, other), label
    at = word.find("تش")  # the ch sound: تش is also written ش or ج (تشافيز/شافيز, تشانغ/جانغ)
    if at >= 0:
        for new in ("ش", "ج"):
            yield word[:at] + new + word[at + 2:], "ch letters"
    elif name_like and ("ش" in word or "ج" in word):  # شافيز → تشافيز, جونغ → تشونغ
        at = word.find("ش") if "ش" in word else word.find("ج")
        yield word[:at] + "تش" + word[at + 1:], "ch letters"
    # Korean/Chinese syllables in -ng: Jong/Yong, Jang/Yang (كيم يونغ أون = كيم جونغ أون).
    if word.endswith("نغ") and word[0] in "جي" and n <= 5 and _name_like(word):
        yield ("ي" if word[0] == "ج" else "ج") + word[1:], "j/y letter"
    if n >= 6:  # two neighbouring consonants swapped (a swap with a vowel: the skeleton index)
        for i in range(1, n - 2):
            a, b = word[i], word[i + 1]
            if a != b and a not in _VOWELS and b not in _VOWELS:
                yield word[:i] + b + a + word[i + 2:], "transposed letters"


def _bare_count(word: str) -> int:
    return _lexicon().get(word, (0, 0))[0]


def _other_word(variant: str, word: str) -> bool:
    """The variant is an ordinary word, or a word far more frequent than the term in the dev data
    (يعلن for يعلون, علينا for علنا, عددا for عديدا): then it is that word, not a spelling."""
    core = _strip_article(variant)
    if core in _common_words():
        return True
    count = _bare_count(variant)
    return count >= 50 and count > 5 * max(_bare_count(word), 10)


def _spelling_variants(word: str) -> dict[str, str]:
    """Variant spellings of a term word -> the rule, minus ordinary words and other names."""
    if not _variant_shaped(word):
        return {}
    common = _common_words()
    others, _ = _guard_entries()
    out: dict[str, str] = {}
    article = "ال" if _strip_article(word) != word else ""
    for variant, rule in _edits(word[len(article):]):
        variant = article + variant
        if (
            variant != word
            and len(variant) >= _MIN_VARIANT
            and not _other_word(variant, word)
            and variant not in others
            and variant not in out
        ):
            out[_fold(variant)] = rule
    return out


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


_RUNS = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)  # the same bases recur across the readings of many tokens
def _index_key(word: str) -> str:
    """The skeleton with doubled letters single: ترامب/ترمب, هيللاري/هيلاري, زيلنيسكي collide."""
    return _RUNS.sub(_run_letter, _skeleton(word))


def _run_letter(m: re.Match[str]) -> str:
    # A function, not the template r"\1": a template sends every call through re's Python-level
    # template code, even when nothing matches.
    return m.group(1)


def _readings(token: str) -> Iterator[tuple[str, bool, bool]]:
    """(rest, has proclitic, exact only) for the token and each proclitic it could start with."""
    yield token, False, False
    for clitic in _PROCLITICS_BY_FIRST.get(token[:1], ()):
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


def _cores(rest: str) -> tuple[str, ...]:
    """The reading's rest, and without the article when it has one."""
    if rest.startswith("ال") and len(rest) - 2 >= _MIN_CORE:
        return rest, rest[2:]
    return (rest,)


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


def _bare_forms(word: str) -> Iterator[tuple[str, frozenset[str]]]:
    """A name stored with ال, written without it: (bare form, endings it accepts).

    The nisba adjective drops the article when indefinite (العراق → مسؤول عراقي, الحوثي →
    مسلحين حوثيين); a long name may be written bare (الكرملين → كرملين) unless the bare word is
    common on its own in the dev data (المغرب → مغرب is also "sunset").
    """
    if not word.startswith("ال") or not _is_arabic(word):
        return
    core = word[2:]
    if len(core) < _MIN_CORE or core.endswith("ه"):
        return
    # Only a name that keeps its article: seen bare at most 1 time in 20 in the dev data
    # (عراق 5 / العراق 725, كرملين 0 / 6), not an ordinary word (دول / الدول, علي / العلي).
    bare, definite = _lexicon().get(core, (0, 0))
    if bare > max(2, definite // 20):
        return
    if core.endswith("ي"):
        yield core, _NISBA
        return
    yield core, frozenset(_NISBA_ENDINGS)
    if len(core) >= 5 and _lexicon().get(core, (0, 0))[0] < 3:
        yield core, _accepted_endings(core)


def _long(word: str) -> bool:
    """6+ letters with 5+ consonants: long enough that one letter rarely makes another word."""
    core = _strip_article(word)
    return len(core) >= 6 and len(_skeleton(core)) >= 5


def _fuzzy_eligible(word: str) -> bool:
    """Long words (and short name-like ones: ترمب/ترامب) take a vowel letter more or less."""
    core = _strip_article(word)
    if core.endswith(("ه", "ات")):
        return False
    return _long(word) or (core == word and _variant_shaped(core))


def _one_letter_rule(word: str, base: str, name_like: bool) -> str:
    """The rule by which text ``base`` is term ``word`` with one letter more, less or swapped.

    "" when it is none. A vowel letter (ا/و/ي) more or less: anywhere medial in a long word
    (الكريملين), and in a short one only for a name-like word and between consonants (قرار is
    not قرر; كوري is not كيري: a vowel moved). A doubled consonant more or less (هيللاري) in a word
    of 5+ letters; two neighbouring letters swapped (اميركا/امريكا) in a word of 6+ letters.
    """
    if len(word) == len(base):
        if len(word) < 6 or word == base:
            return ""
        diff = [k for k in range(len(word)) if word[k] != base[k]]
        ok = len(diff) == 2 and diff[1] == diff[0] + 1 and word[diff[0]] == base[diff[1]]
        return "transposed letters" if ok and word[diff[1]] == base[diff[0]] else ""
    if abs(len(word) - len(base)) != 1 or Levenshtein.distance(word, base, score_cutoff=1) != 1:
        return ""
    longer, shorter = (word, base) if len(word) > len(base) else (base, word)
    i = next((k for k in range(len(shorter)) if longer[k] != shorter[k]), len(shorter))
    medial = 0 < i < len(longer) - 1
    if len(shorter) >= 5 and medial and longer[i] == longer[i - 1] and longer[i] not in _VOWELS:
        return "doubled letter"
    if longer[i] not in _VOWELS or not 0 < i < len(longer) - 1:
        return ""
    while i > 0 and longer[i - 1] == longer[i]:
        i -= 1  # the first of a run: بوتيين
    if _long(word):
        return "vowel letter"  # the long-word rule: any medial vowel letter
    if not name_like or longer[i - 1] in _VOWELS:
        return ""
    if longer[i + 1] not in _VOWELS:
        return "vowel letter"
    # The diphthong ai written اي or ي before a consonant: بلاير = بلير (Blair).
    tail = longer[i + 2:]
    if longer[i:i + 2] == "اي" and tail and tail[0] not in _VOWELS:
        return "vowel letter"
    return ""


_ONLY_BARE = frozenset({""})


def _one_edits(word: str) -> Iterator[str]:
    """Strings one vowel letter, one doubled letter or one swap of neighbours away from ``word``:
    the candidates the skeleton index may read as it (``_one_letter_rule`` decides)."""
    n = len(word)
    for i in range(1, n):
        for vowel in _VOWELS:
            yield word[:i] + vowel + word[i:]
        if i < n - 1:
            yield word[:i] + word[i + 1:]  # a letter less (a vowel, or one of a doubled pair)
            yield word[:i] + word[i] + word[i:]  # a letter doubled
    for i in range(n - 1):
        yield word[:i] + word[i + 1] + word[i] + word[i + 2:]
_Spelling = tuple[str, "frozenset[str] | None", str]  # key, endings (None: the word's own), rule


@lru_cache(maxsize=131_072)
def _derivations(
    word: str,
) -> tuple[tuple[_Spelling, ...], tuple[str, frozenset[str] | None, bool] | None]:
    """What a term word is also found as, memoised across Matchers (one is built per edit).

    Returns the derived spellings, and the word's skeleton-index entry (key, endings, name-like)
    or None. A short name's variants take no ending: بروتين is not بيروت+ين, هولندي not هولاند+ي.
    """
    out: list[_Spelling] = []
    stem = _nisba_stem(word)
    if stem:
        out.append((_fold(stem), _NISBA, "adjective"))
    variant = _in_variant(word)
    if variant:
        out.append((variant, _accepted_endings(variant), "-in ending"))
    endings = None if _long(word) else _ONLY_BARE
    out.extend((spelling, endings, rule) for spelling, rule in _spelling_variants(word).items())
    out.extend((bare, accepted, "article ال") for bare, accepted in _bare_forms(word))
    indexed = (_index_key(word), endings, _name_like(word)) if _fuzzy_eligible(word) else None
    return tuple(out), indexed


class _Form(NamedTuple):
    """A spelling under which a term word is found (a tuple: tens of thousands are built)."""

    word: int  # id of the term word this form belongs to
    endings: frozenset[str]
    primary: bool  # the word as written, not a derived form
    rule: str = ""  # the spelling-variant rule that derived it, named by explain()


_Hits = dict[int, bool]  # term word id -> found only with a proclitic
_Rules = dict[int, str]  # term word id -> the variant rule it was found by ("" = as written)
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
        self._skeletons: dict[str, list[tuple[str, _Form, bool]]] = {}
        # First and last letter of each skeleton key: a skeleton keeps a word's, so a word whose
        # pair is not here has no skeleton in the index (asked before computing the skeleton).
        self._skeleton_ends: set[str] = set()
        self._words: dict[tuple[str, bool], int] = {}
        self._word_text: list[str] = []  # word id -> the term word (folded key)
        self._term_words: dict[int, list[list[int]]] = {}  # term id -> its word-id paths
        self._written: dict[int, tuple[str, ...]] = {}  # term id -> its words, unfolded
        single, pairs = _guard_entries()
        self._guard = single
        # Article tokens that may open a guarded multiword name (with any proclitic): بروسيا.
        self._guard_openers: dict[str, tuple[str, frozenset[str]]] = {
            clitic + first: (first, nexts)
            for first, nexts in pairs.items()
            for clitic in ("", *_PROCLITICS)
        }
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
        written = tuple(normalize(term).split())
        words = tuple(_fold(w) for w in written)
        if words in self._terms:
            return self._terms[words], term
        term_id = self._terms[words] = len(self._terms)
        self._written[term_id] = written
        self._phrase(term_id, [self._word(w, derive=True) for w in words])
        joined = "".join(words)
        if len(words) > 1:
            self._phrase(term_id, [self._word(joined, derive=False, rule="one word")])
        elif len(joined) >= 6 and _is_arabic(joined):
            for cut in range(3, len(joined) - 2):
                parts = (joined[:cut], joined[cut:])
                self._phrase(term_id, [self._word(p, False, rule="two words") for p in parts])
        return term_id, term

    def _phrase(self, term_id: int, words: list[int]) -> None:
        self._term_words.setdefault(term_id, []).append(words)
        node = self._root
        for word in words:
            child = node.children.get(word)
            if child is None:
                child = node.children[word] = _Node()
            node = child
        if term_id not in node.terms:
            node.terms.append(term_id)

    def _word(self, word: str, derive: bool, rule: str = "") -> int:
        key = (word, derive)
        if key in self._words:
            return self._words[key]
        word_id = self._words[key] = len(self._words)
        self._word_text.append(word)
        primary = _Form(word_id, _accepted_endings(word), primary=True, rule=rule)
        self._forms.setdefault(word, []).append(primary)
        if derive and _is_arabic(word):
            self._derived_forms(word, word_id, primary)
        return word_id

    def _derived_forms(self, word: str, word_id: int, primary: _Form) -> None:
        spellings, indexed = _derivations(word)
        made: dict[tuple[frozenset[str] | None, str], _Form] = {}
        for spelling, endings, rule in spellings:
            form = made.get((endings, rule))
            if form is None:
                form = made[(endings, rule)] = _Form(
                    word_id, primary.endings if endings is None else endings, False, rule
                )
            self._forms.setdefault(spelling, []).append(form)
        if indexed:
            key, endings, name_like = indexed
            form = _Form(word_id, primary.endings if endings is None else endings, False, "")
            self._skeletons.setdefault(key, []).append((word, form, name_like))
            self._skeleton_ends.add(key[0] + key[-1])

    # analyse ---------------------------------------------------------------------------------

    def _analyse(
        self, token: str, guard: AbstractSet[str] = frozenset(), rules: _Rules | None = None
    ) -> _Hits:
        """Term words the token can be; ``rules`` (explain only) collects the rule per word.

        A reading that cuts into a guarded word (another name, bot/data/name_guard.txt) is
        refused: once a reading's core is such a word, it is looked up as written, and neither a
        longer proclitic, the article nor an ending is taken off it (بروسيا دورتموند ≠ ب+روسيا).
        """
        hits: _Hits = {}
        if not _is_arabic(token):
            for form in self._forms.get(token, ()):
                if form.primary:
                    hits[form.word] = False
                    if rules is not None:
                        rules[form.word] = form.rule
            return hits or _NO_HITS
        guard = guard or self._guard
        forms, skeletons, ends = self._forms, self._skeletons, self._skeleton_ends
        for rest, clitic, exact in _readings(token):
            cores = _cores(rest)
            guarded = not guard.isdisjoint(cores)
            if guarded:  # the guarded word and what holds it (ال+word), never less
                cores = cores[: next(i for i, c in enumerate(cores) if c in guard) + 1]
            for core in cores:
                for base, ending in ((core, ""),) if guarded else _endings(core):
                    if exact and ending:
                        break
                    key = _fold(base) if "نج" in base else base
                    # ``_lookup`` finds nothing for a key that is neither a form nor, when variants
                    # are read, a skeleton in the index: most keys of most tokens (asked here, inline).
                    if key in forms or (not exact and len(key) >= _MIN_VARIANT and key[0] + key[-1] in ends
                                        and _index_key(key) in skeletons):
                        self._lookup(key, ending, clitic, exact, hits, base, rules)
            if guarded:
                break
        return hits or _NO_HITS

    def _lookup(
        self,
        base: str,
        ending: str,
        clitic: bool,
        exact: bool,
        hits: _Hits,
        written: str = "",
        rules: _Rules | None = None,
    ) -> None:
        for form in self._forms.get(base, ()):
            if ending in form.endings and (form.primary or not exact):
                hits[form.word] = hits.get(form.word, True) and clitic
                if rules is not None:
                    rule = form.rule
                    if not rule and written != base:
                        rule = "ng letters"  # the folding key: بيونج = بيونغ
                    if not rule or form.word not in rules:
                        rules[form.word] = rule
        if exact or len(base) < _MIN_VARIANT or not self._skeletons:
            return
        for word, form, name_like in self._skeletons.get(_index_key(base), ()):
            if ending not in form.endings or base in self._guard:
                continue
            rule = _one_letter_rule(word, base, name_like)
            # An ordinary word is never a variant; but a name's spelling with a doubled letter
            # more or less is not another Arabic word (فيرراري = فيراري, though الفيراري occurs).
            doubled = rule == "doubled letter" and name_like
            if rule and (doubled or not _other_word(base, word)):
                hits[form.word] = hits.get(form.word, True) and clitic
                if rules is not None:
                    rules.setdefault(form.word, rule)

    def _token(self, token: str, guard: AbstractSet[str] = frozenset()) -> _Token:
        hits = self._analyse(token, guard)
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
        if self._guard_openers and not self._guard_openers.keys().isdisjoint(tokens):
            self._guard_context(tokens, out)  # type: ignore[arg-type]
        return out  # type: ignore[return-value]

    def _guard_context(self, tokens: Sequence[str], infos: list[_Token]) -> None:
        """Re-read a token that opens a guarded multiword name (بروسيا before دورتموند)."""
        for i, token in enumerate(tokens[:-1]):
            opener = self._guard_openers.get(token)
            if opener and tokens[i + 1] in opener[1]:
                infos[i] = self._token(token, self._guard | {opener[0]})

    def _guard_at(self, tokens: Sequence[str], i: int) -> AbstractSet[str]:
        opener = self._guard_openers.get(tokens[i])
        if opener and i + 1 < len(tokens) and tokens[i + 1] in opener[1]:
            return self._guard | {opener[0]}
        return self._guard

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

    # The forms of a term, for search: the index is searched with exactly what the matcher reads.

    def term_paths(self, term: str) -> tuple[tuple[int, ...], ...]:
        """The ways the matcher finds ``term`` (compiled into this Matcher): its words in order,
        joined into one word, or a long word split in two; each a sequence of term-word ids."""
        words = tuple(_fold(w) for w in normalize(term).split())
        term_id = self._terms.get(words)
        if term_id is None:
            return ()
        return tuple(dict.fromkeys(tuple(path) for path in self._term_words[term_id]))

    def word_text(self, word_id: int) -> str:
        """A term word as the matcher keys it (normalized, folded)."""
        return self._word_text[word_id]

    def word_spellings(self, word_id: int) -> tuple[tuple[str, bool], ...]:
        """The stems a token is built on when it reads as term word ``word_id``, each with whether
        it may take an ending: the word, its derived spellings (adjective, -in, spelling variants,
        bare name) and the one-letter variants the skeleton index accepts (ترمب for ترامب).

        A token reading as the word is a proclitic, the article, one of these stems and an ending
        it accepts; the list is complete for those readings, and ``reads`` decides each token."""
        out: dict[str, bool] = {}
        for spelling, forms in self._forms.items():
            for form in forms:
                if form.word == word_id:
                    out[spelling] = out.get(spelling, False) or form.endings != _ONLY_BARE
        word = self._word_text[word_id]
        if _is_arabic(word) and self._skeletons:
            for candidate in _one_edits(word):
                if candidate not in out and word_id in self._analyse(candidate):
                    out[candidate] = True
        return tuple(out.items())

    @staticmethod
    def token_prefixes() -> tuple[str, ...]:
        """What may stand before a term word's stem in a token the matcher reads as it: nothing,
        the article, a proclitic, a proclitic with the article (وال، لال) or لل (ل + ال)."""
        out = ["", "ال"]
        for clitic in _PROCLITICS:
            out += [clitic, clitic + "ال"]
            if clitic.endswith("ل"):
                out.append(clitic + "ل")
        return tuple(out)

    def reads(self, token: str) -> dict[int, bool]:
        """Term words a normalized token reads as -> True when only with a proclitic (which only
        the first word of a longer term may carry)."""
        return dict(self._analyse(token))

    def match(self, title: str, body: str, analyzed: Analyzed | None = None) -> list[TopicMatch]:
        """Topics the article matches, in watchlist order (``analyzed``: the article's analysis,
        whose tokens are the ones read here)."""
        if analyzed is not None:
            head, tail = analyzed.title_words, analyzed.body_words
        else:
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
        variants = {t: self._variants(t, spans, tokens, surfaces) for t, spans in found.items()}
        return [_explain(topic, found, surfaces, variants) for topic in self._topics]

    def _variants(
        self,
        term_id: int,
        spans: list[tuple[int, int]],
        tokens: Sequence[str],
        surfaces: list[tuple[str, int, int]],
    ) -> tuple[tuple[str, int, str], ...]:
        """(article's word, index of the term word, rule) for each word found by a variant rule.

        The index is -1 for the term written as one word, -2 for a one-word term split in two.
        """
        paths = self._term_words[term_id]
        size = len(self._written[term_id])
        out: dict[tuple[str, int, str], None] = {}
        for start, end in spans:
            found: list[_Rules] = []
            for i in range(start, end):
                rules: _Rules = {}
                self._analyse(tokens[i], self._guard_at(tokens, i), rules)
                found.append(rules)
            for path in paths:
                if len(path) != end - start or any(w not in r for w, r in zip(path, found)):
                    continue
                whole = -1 if len(path) == 1 else -2  # joined, or split in two
                for k, (word_id, rules) in enumerate(zip(path, found)):
                    if rules[word_id]:
                        surface = _surface(surfaces, start + k, start + k + 1)
                        out[(surface, k if len(path) == size else whole, rules[word_id])] = None
                break
        return tuple(out)


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


_Variants = dict[int, tuple[tuple[str, int, str], ...]]


def _explain(
    topic: _Topic,
    found: dict[int, list[tuple[int, int]]],
    surfaces: list[tuple[str, int, int]],
    variants: _Variants,
) -> Explanation:
    groups = enumerate(topic.groups)
    rules = [_check(f"all[{i}]", group, found, surfaces, variants) for i, group in groups]
    if topic.any:
        rules.append(_check("any", topic.any, found, surfaces, variants))
    if topic.none:
        rules.append(_check("none", topic.none, found, surfaces, variants))
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
    variants: _Variants,
) -> RuleCheck:
    hits = []
    for term_id, term in terms:
        if term_id in found:
            forms = [_surface(surfaces, start, end) for start, end in found[term_id]]
            named = tuple((seen, _term_word(term, k), why) for seen, k, why in variants[term_id])
            hits.append(TermHit(term, tuple(dict.fromkeys(forms)), named))
    return RuleCheck(rule, tuple(term for _, term in terms), tuple(hits))


def _term_word(term: str, index: int) -> str:
    """The term's word at ``index`` as the admin wrote it (-1: the whole term, -2: its one word)."""
    words = term.split()
    if index < 0 or len(words) != len(normalize(term).split()):
        return term if index < 0 or len(words) == 1 else normalize(term).split()[index]
    return words[index]


def _surface(surfaces: list[tuple[str, int, int]], start: int, end: int) -> str:
    text, begin, _ = surfaces[start]
    _, _, finish = surfaces[end - 1]
    return " ".join(text[begin:finish].split())
