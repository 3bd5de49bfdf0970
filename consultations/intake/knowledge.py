"""The engine's clinical knowledge: data/*.json, compiled once into regular expressions and rules.

Everything clinical lives in the data files (lexicon, red flags, triage rules, interview script) so a
clinician can review and extend it without reading Python; this module only turns it into objects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from .anchors import anchors

DATA_DIR = Path(__file__).parent / "data"

# Least to most urgent; the order is the triage scale (Infermedica's five levels).
LEVELS: tuple[str, ...] = ("self_care", "consultation", "consultation_24", "emergency", "emergency_ambulance")
EMERGENCY_LEVELS = frozenset({"emergency", "emergency_ambulance"})
SYMPTOM_KINDS = frozenset({"symptom", "sign"})

# '...' in a pattern: up to this many words in between (captured so negation inside the gap still counts).
GAP_WORDS = 5
_GAP = r"((?:[\s,]+[^\s,;!?]+){0," + str(GAP_WORDS) + r"}?)[\s,]+"
_LEFT, _RIGHT = r"(?<![a-z0-9])", r"(?![a-z0-9])"
_INTENSIFIERS = (
    r"(?:(?:really|very|so|quite|extremely|super|all|a bit|a little|slightly|rather|pretty|incredibly|terribly|"
    r"awfully|now|still|just|getting|gone|become|been|going|looking|looks|feels)[\s-]+)*"
)

Expr = str | dict[str, Any]


def level_rank(level: str) -> int:
    return LEVELS.index(level)


def pattern_source(pattern: str) -> str:
    """Turn one data-file pattern into regex source: groups non-capturing, spaces flexible (' ?' optional),
    '~' any intensifiers ("is ~red" matches "is all red", "is really very red"), '...' a short gap."""
    pattern = re.sub(r"\((?!\?)", "(?:", pattern).replace("~", _INTENSIFIERS)
    parts = [_spaces(part.strip()) for part in pattern.split("...")]
    return _GAP.join(parts)


def _spaces(part: str) -> str:
    return part.replace(" ?", "\0").replace(" ", r"[\s-]+").replace("\0", r"[\s-]?")


def compile_patterns(patterns: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(f"(?:{pattern_source(p)})" for p in patterns)
    return re.compile(f"{_LEFT}(?:{alternatives}){_RIGHT}")


@dataclass(frozen=True)
class Concept:
    code: str
    label: str
    system: str
    kind: str
    level: str
    regex: re.Pattern[str]
    subsumes: tuple[str, ...] = ()
    unless: Expr | None = None  # when this holds, the concept no longer calls for its level on its own
    anchors: frozenset[str] | None = None  # one of these is in every match (a fast test before the regex)


@dataclass(frozen=True)
class Site:
    code: str
    label: str
    concept: str
    weak: bool
    regex: re.Pattern[str]
    not_after: re.Pattern[str] | None = None  # words just before the site that mean another place ("under the ribs")


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    level: str
    when: Expr
    citation: str
    advice: str
    crisis: bool
    red_flag: bool
    examples: dict[str, list[str]]


@dataclass(frozen=True)
class Cues:
    """NegEx/ConText-style trigger phrases (Chapman et al. 2001; Harkema et al. 2009)."""

    negation_pre: re.Pattern[str]
    negation_post: re.Pattern[str]
    pseudo: re.Pattern[str]
    terminators: re.Pattern[str]
    historical_pre: re.Pattern[str]
    historical_post: re.Pattern[str]
    not_historical_before: re.Pattern[str]
    other_pre: re.Pattern[str]
    other_pre_if_past: re.Pattern[str]  # "my father had ..." is family history only when followed by other_post
    other_post: re.Pattern[str]  # "... at 50", "... years ago", "... and died"
    hypothetical_pre: re.Pattern[str]


@dataclass(frozen=True)
class Knowledge:
    concepts: dict[str, Concept]
    derived: dict[str, str]
    sites: tuple[Site, ...]
    pain_words: re.Pattern[str]
    cues: Cues
    levels: dict[str, dict[str, str]]
    vital_signs: dict[str, Any]
    red_flags: tuple[Rule, ...]
    triage_rules: tuple[Rule, ...]
    interview: dict[str, Any]
    # anchor -> codes of the concepts it may start a match for; concepts without anchors are always tried.
    anchor_index: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unanchored: tuple[str, ...] = ()

    def concepts_in(self, text: str) -> list[Concept]:
        """The concepts that could match somewhere in text, in lexicon order."""
        codes = set(self.unanchored)
        for anchor, concept_codes in self.anchor_index.items():
            if anchor in text:
                codes.update(concept_codes)
        return [concept for code, concept in self.concepts.items() if code in codes]

    def label(self, code: str) -> str:
        if code in self.concepts:
            return self.concepts[code].label
        return self.derived.get(code, code.replace("_", " "))

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.red_flags + self.triage_rules

    @cached_property
    def rules_with_triggers(self) -> tuple[tuple[Rule, frozenset[str] | None], ...]:
        """Each rule with the concepts one of which it needs (``triggers``), so most rules are skipped at once."""
        return tuple((rule, triggers(rule.when)) for rule in self.rules)


def triggers(expr: Expr) -> frozenset[str] | None:
    """Concepts at least one of which must be in the evidence for ``expr`` to hold; None when it can
    hold without any (a 'none' clause, an empty 'all')."""
    if isinstance(expr, str):
        return frozenset({expr})
    if "all" in expr:
        needed = [found for part in expr["all"] if (found := triggers(part)) is not None]
        return min(needed, key=len) if needed else None
    if "none" in expr or expr.get("at_least", 1) < 1:
        return None
    options = [triggers(part) for part in expr.get("any") or expr["of"]]
    if not options or any(found is None for found in options):
        return None
    return frozenset().union(*options)  # type: ignore[arg-type]


def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _alternatives(patterns: list[str]) -> str:
    return "(?:" + "|".join(pattern_source(p) for p in patterns) + ")"


def _cues(raw: dict[str, Any], context: dict[str, Any]) -> Cues:
    negation_cue = _alternatives(raw["pre"])
    # A cue swallows the auxiliaries that follow it ("hasn't had any"), so they don't end its scope.
    aux = r"(?:[\s-]+" + _alternatives(raw["aux"]) + ")*"
    return Cues(
        negation_pre=re.compile(f"{_LEFT}{negation_cue}{aux}{_RIGHT}"),
        negation_post=compile_patterns(raw["post"]),
        pseudo=compile_patterns(raw["pseudo"]),
        terminators=compile_patterns(raw["terminators"]),
        historical_pre=compile_patterns(context["historical_pre"]),
        historical_post=compile_patterns(context["historical_post"]),
        not_historical_before=re.compile(_alternatives(context["not_historical_before"]) + r"[\s-]*$"),
        other_pre=compile_patterns(context["other_pre"]),
        other_pre_if_past=compile_patterns(context["other_pre_if_past"]),
        other_post=compile_patterns(context["other_post"]),
        hypothetical_pre=compile_patterns(context["hypothetical_pre"]),
    )


def _concept(code: str, raw: dict[str, Any]) -> Concept:
    regex = compile_patterns(raw["patterns"])
    return Concept(
        code=code,
        label=raw["label"],
        system=raw["system"],
        kind=raw["kind"],
        level=raw.get("level", "self_care"),
        regex=regex,
        subsumes=tuple(raw.get("subsumes", ())),
        unless=raw.get("unless"),
        anchors=anchors(regex.pattern),
    )


def _site(raw: dict[str, Any]) -> Site:
    not_after = re.compile(_alternatives(raw["not_after"]) + r"[\s-]*$") if raw.get("not_after") else None
    return Site(
        raw["code"], raw["label"], raw["concept"], bool(raw.get("weak")), compile_patterns(raw["patterns"]), not_after
    )


def _rule(raw: dict[str, Any], red_flag: bool) -> Rule:
    return Rule(
        code=raw["code"],
        label=raw["label"],
        level=raw["level"],
        when=raw["when"],
        citation=raw["citation"],
        advice=raw.get("advice", ""),
        crisis=bool(raw.get("crisis", False)),
        red_flag=red_flag,
        examples=raw.get("examples", {}),
    )


@lru_cache(maxsize=1)
def knowledge() -> Knowledge:
    lexicon, rules, interview = _load("lexicon.json"), _load("rules.json"), _load("interview.json")
    concepts = {code: _concept(code, raw) for code, raw in lexicon["concepts"].items()}
    kb = Knowledge(
        concepts=concepts,
        derived=dict(lexicon["derived"]),
        sites=tuple(_site(s) for s in lexicon["sites"]),
        pain_words=compile_patterns(lexicon["pain_words"]),
        cues=_cues(lexicon["negation"], lexicon["context"]),
        levels=rules["levels"],
        vital_signs=rules["vital_signs"],
        red_flags=tuple(_rule(r, red_flag=True) for r in rules["red_flags"]),
        triage_rules=tuple(_rule(r, red_flag=False) for r in rules["triage_rules"]),
        interview=interview,
        anchor_index=_anchor_index(concepts),
        unanchored=tuple(code for code, concept in concepts.items() if concept.anchors is None),
    )
    problems = validate(kb)
    if problems:
        raise ValueError("Invalid intake knowledge: " + "; ".join(problems))
    return kb


def _anchor_index(concepts: dict[str, Concept]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for code, concept in concepts.items():
        for anchor in concept.anchors or ():
            index.setdefault(anchor, []).append(code)
    return {anchor: tuple(codes) for anchor, codes in index.items()}


def expression_codes(expr: Expr) -> list[str]:
    if isinstance(expr, str):
        return [expr]
    items = expr.get("all") or expr.get("any") or expr.get("none") or expr.get("of") or []
    return [code for item in items for code in expression_codes(item)]


def validate(kb: Knowledge) -> list[str]:
    """Every code a rule, site or question names must exist, and every level must be a real level."""
    known = set(kb.concepts) | set(kb.derived)
    problems = [f"site {s.code} -> unknown concept {s.concept}" for s in kb.sites if s.concept not in kb.concepts]
    for concept in kb.concepts.values():
        if concept.level not in LEVELS:
            problems.append(f"{concept.code}: bad level {concept.level}")
        problems += [f"{concept.code} subsumes unknown {c}" for c in concept.subsumes if c not in kb.concepts]
        unless = expression_codes(concept.unless) if concept.unless else []
        problems += [f"{concept.code} unless: unknown concept {c}" for c in unless if c not in known]
    for rule in kb.rules:
        if rule.level not in LEVELS:
            problems.append(f"rule {rule.code}: bad level {rule.level}")
        problems += [f"rule {rule.code}: unknown concept {c}" for c in expression_codes(rule.when) if c not in known]
    for question in interview_questions(kb):
        problems += [
            f"question {question['id']}: unknown concept {c}" for c in question.get("concepts", []) if c not in known
        ]
    screens = kb.interview["screens"]
    routed = list(kb.interview["screen_for_complaint"].values()) + list(kb.interview["screen_for_system"].values())
    problems += [f"interview routes to unknown screen {key}" for key in routed if key not in screens]
    problems += [
        f"screen_for_complaint: unknown concept {c}"
        for c in kb.interview["screen_for_complaint"]
        if c not in kb.concepts
    ]
    codes = [rule.code for rule in kb.rules]
    problems += [f"duplicate rule code {c}" for c in set(codes) if codes.count(c) > 1]
    return problems


def interview_questions(kb: Knowledge) -> list[dict[str, Any]]:
    script = kb.interview
    return list(script["core"]) + [q for screen in script["screens"].values() for q in screen]
