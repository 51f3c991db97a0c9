"""Plain-text rendering of match explanations (and of why an article joined a story), shared by the
CLI and chat commands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from bot.text.matching import Explanation, RuleCheck, TermHit

if TYPE_CHECKING:  # the CLI's light commands import this module: bot.text.events is not light
    from bot.text.events import Evidence

_RULE_LABEL = {"any": "any (one of)", "none": "none (excluded)"}
_ALL_RULE = re.compile(r"\ball\[(\d+)\]")


def rule_name(rule: str) -> str:
    """The one numbering users see everywhere (CLI, chat, explain): the matcher's 0-based
    ``all[0]`` is "rule 1" (in chat «القاعدة 1»)."""
    return _ALL_RULE.sub(lambda m: f"rule {int(m.group(1)) + 1}", rule)

# The matcher's variant rules (bot/text/matching.py), named in Arabic for chat replies.
VARIANT_RULES_AR = {
    "vowel letter": "حرف علة",
    "g letter": "حرف الجيم/الغين (غ ج ك ق)",
    "t letter": "التاء/الطاء",
    "s letter": "السين/الصاد",
    "ch letters": "تش/ش/ج",
    "j/y letter": "الجيم/الياء",
    "doubled letter": "حرف مكرر",
    "transposed letters": "حرفان متبادلان",
    "article ال": "أداة التعريف",
    "adjective": "صفة النسبة",
    "-in ending": "ـين/ـن",
    "ng letters": "نغ/نج",
    "one word": "كلمة واحدة",
    "two words": "كلمتان",
}


def variant_notes(hit: TermHit, lang: str | None = "en") -> list[str]:
    """"ترمب ≈ ترامب: vowel letter" for each variant rule that found the term.

    Rule names are English for ``lang`` "en" (the CLI) and Arabic otherwise (chat's default).
    """
    notes = []
    for seen, word, rule in hit.variants:
        name = rule if lang == "en" else VARIANT_RULES_AR.get(rule, rule)
        notes.append(f"{seen} ≈ {word}: {name}")
    return notes


def _found(hit: TermHit) -> str:
    text = f"{hit.term} ← {'، '.join(hit.found)}"
    notes = variant_notes(hit)
    return f"{text} [{'; '.join(notes)}]" if notes else text


def _rule_line(rule: RuleCheck) -> str:
    label = _RULE_LABEL.get(rule.rule, f"{rule_name(rule.rule)} (one of)")
    if rule.hits:
        found = "; ".join(_found(h) for h in rule.hits)
        missed = [t for t in rule.terms if t not in {h.term for h in rule.hits}]
        tail = f"   (not found: {' | '.join(missed)})" if missed else ""
        return f"    ✔ {label}: {found}{tail}"
    return f"    ✘ {label}: none of {' | '.join(rule.terms)}"


def format_explanation(e: Explanation) -> str:
    verdict = "MATCHES" if e.matched else "does not match"
    lines = [f"  {e.slug} ({e.name}): {verdict}"]
    lines.extend(_rule_line(r) for r in e.rules)
    lines.extend(f"    → {rule_name(reason)}" for reason in e.reasons)
    return "\n".join(lines)


def format_explanations(explanations: Iterable[Explanation]) -> str:
    return "\n".join(format_explanation(e) for e in explanations) or "  (no watchlists)"


# Why an article joined a known story (``storage.joins``; ``raqib explain --story``), in English
# as the CLI speaks; chat says it in the caller's language (``handlers.why``).
_JOIN_KINDS = {"copy": "a copy of", "contained": "text contained in", "update": "an update of",
               "event": "the same event, in other words, as"}


def format_evidence(found: "Evidence") -> str:
    """The same-event evidence on one line: score against its bar, hours apart, shared rare words and
    figures, headline likeness."""
    hours = f"{found.hours_apart:.1f} h apart" + (" (by fetch time)" if found.approximate else "")
    parts = [f"score {found.score:.2f} >= bar {found.threshold:.2f}", hours]
    if found.names:
        parts.append("shared rare words: " + ", ".join(found.names))
    if found.figures:
        parts.append("shared figures: " + ", ".join(found.figures))
    parts.append(f"headlines {round(found.headline * 100)}% alike")
    return "; ".join(parts)


def format_join(join: Any) -> str:
    """One join (a ``storage.joins.Join``): the article, how it joined and what, the evidence."""
    kind = _JOIN_KINDS.get(join.relation, join.relation)
    if join.joined_source is None:
        target = "a report no longer stored"
    else:
        target = f"#{join.joined_article_id} ({join.joined_source}) {join.joined_title}"
    lines = [f"  #{join.article_id} ({join.source}) {join.title}", f"    {kind} {target}"]
    if join.relation == "event" and join.evidence:
        from bot.text.events import Evidence

        try:
            lines.append(f"    {format_evidence(Evidence.from_dict(join.evidence))}")
        except (KeyError, TypeError, ValueError):
            pass
    return "\n".join(lines)
