"""Plain-text rendering of match explanations, shared by the CLI and chat commands."""

from __future__ import annotations

from typing import Iterable

from bot.matching import Explanation, RuleCheck

_RULE_LABEL = {"any": "any (one of)", "none": "none (excluded)"}


def _rule_line(rule: RuleCheck) -> str:
    label = _RULE_LABEL.get(rule.rule, f"{rule.rule} (one of)")
    if rule.hits:
        found = "; ".join(f"{h.term} ← {'، '.join(h.found)}" for h in rule.hits)
        missed = [t for t in rule.terms if t not in {h.term for h in rule.hits}]
        tail = f"   (not found: {' | '.join(missed)})" if missed else ""
        return f"    ✔ {label}: {found}{tail}"
    return f"    ✘ {label}: none of {' | '.join(rule.terms)}"


def format_explanation(e: Explanation) -> str:
    verdict = "MATCHES" if e.matched else "does not match"
    lines = [f"  {e.slug} ({e.name}): {verdict}"]
    lines.extend(_rule_line(r) for r in e.rules)
    lines.extend(f"    → {reason}" for reason in e.reasons)
    return "\n".join(lines)


def format_explanations(explanations: Iterable[Explanation]) -> str:
    return "\n".join(format_explanation(e) for e in explanations) or "  (no watchlists)"
