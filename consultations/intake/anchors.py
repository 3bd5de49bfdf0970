"""Literal anchors of a regular expression: strings at least one of which is inside every match it can make.

Reading a 150-word vignette means trying a few hundred concept expressions against it; most of them cannot
match because none of their words is there. A substring test for the anchors is far cheaper than the regular
expression, so it decides which expressions are worth running. The anchors only ever rule an expression out
when it could not match, so they change the speed, never the result.
"""

from __future__ import annotations

import importlib
from typing import Any

try:  # The standard library's own parser for regular expressions; without it every expression simply runs.
    sre_parse: Any = importlib.import_module("re._parser")
    sre: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - other Python implementations
    sre_parse = sre = None

Anchors = frozenset[str]


def anchors(pattern: str) -> Anchors | None:
    """Strings at least one of which every match of pattern contains, or None when there are none to rely on."""
    if sre_parse is None:
        return None
    try:
        found = _required(sre_parse.parse(pattern))
    except Exception:  # an unexpected parse tree only costs speed
        return None
    return found if found and all(found) else None


def _required(subpattern: Any) -> Anchors | None:
    """For a sequence: the best of the literal runs and required sub-expressions it must contain."""
    candidates: list[Anchors] = []
    run: list[str] = []
    for op, av in subpattern:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        required = _required_item(op, av)
        if required:
            candidates.append(required)
    if run:
        candidates.append(frozenset({"".join(run)}))
    return max(candidates, key=lambda options: min(map(len, options)), default=None)


def _required_item(op: Any, av: Any) -> Anchors | None:
    if op is sre.SUBPATTERN:
        return _required(av[-1])
    if op is sre.BRANCH:
        branches = [_required(branch) for branch in av[1]]
        return None if any(b is None for b in branches) else frozenset().union(*branches)  # type: ignore[arg-type]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _, body = av
        return _required(body) if low >= 1 else None
    if op is sre.ATOMIC_GROUP:
        return _required(av)
    return None
