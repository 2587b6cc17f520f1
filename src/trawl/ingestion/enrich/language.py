"""A cheap language guess from stop-word counts: enough for a facet and to pick an analyser.

Counts how many of each language's most frequent words occur among the first few thousand
words. Needs no model and no download; says None when the evidence is thin.
"""

from __future__ import annotations

import re

STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the of and to in is that for it with as was on be by this are from at "
                    "or have not which an they you he but his were their".split()),
    "fr": frozenset("le la les de des du et est un une que qui dans pour pas sur au aux "
                    "par ce il elle sont avec ne se plus ou leur nous vous".split()),
    "de": frozenset("der die das und ist nicht ein eine zu den von mit sich des auf für "
                    "im dem auch es an als wird sind nach bei".split()),
    "es": frozenset("el la los las de del y en que es un una por con para se no su al "
                    "lo como más pero sus le ya fue".split()),
    "it": frozenset("il la di che e è un una per non in con del della sono gli le da "
                    "si ha al dei nel alla anche come".split()),
    "nl": frozenset("de het een van en is dat niet op te in zijn voor met die er aan "
                    "ook als bij maar om door naar".split()),
    "pt": frozenset("o a os as de do da e que em um uma para com não por se na no dos "
                    "das ao mais como mas foi".split()),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
SAMPLE_CHARS = 20_000
MIN_HITS = 5


def guess_language(text: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(text[:SAMPLE_CHARS])]
    if len(words) < 10:
        return None
    scores = {lang: sum(1 for w in words if w in stops) for lang, stops in STOP_WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < MIN_HITS or ranked[0] < 1.3 * ranked[1]:
        return None
    return best
