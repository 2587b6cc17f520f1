"""Languages of text: the stop words the index's stemmed fields drop, and a cheap guess of a
text's language. Shared by the index (its analysers, a query's language) and ingestion (a
document's language); it imports nothing of Trawl.

The guess counts how many of each language's most frequent words (`MARKER_WORDS`) occur
among the first few thousand words: no model, no download; None when the evidence is thin.
Why the markers are not `STOP_WORDS`: the guess needs short lists of equal weight for every
language it tells apart, the analysers full Snowball lists for the two they stem; scoring the
guess on the Snowball lists changed a third of the corpus's guesses (None -> en mostly).
"""

from __future__ import annotations

import re

# The Snowball stop-word lists (snowballstem.org), as single tokens of the simple tokenizer
# (which splits "don't" into "don" + "t" and "l'état" into "l" + "état"). Longer than
# Lucene's 33 English words: natural-language questions ("what are the ...") need it.
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("""
        a about above after again against all am an and any are aren as at be because been
        before being below between both but by can could couldn d did didn do does doesn doing don
        down during each few for from further had hadn has hasn have haven having he her here
        hers herself him himself his how i if in into is isn it its itself ll m me more most
        mustn my myself no nor not of off on once only or other ought our ours ourselves out
        over own re s same shan she should shouldn so some such t than that the their theirs
        them themselves then there these they this those through to too under until up ve very
        was wasn we were weren what when where which while who whom why will with won would
        wouldn you your yours yourself yourselves
    """.split()),
    "fr": frozenset("""
        ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez aurions
        aurons auront aux avaient avais avait avec avez aviez avions avons ayant ayante ayantes
        ayants ayez ayons c ce ces d dans de des du elle en es est et eu eue eues eurent eus
        eusse eussent eusses eussiez eussions eut eux eûmes eût eûtes furent fus fusse fussent
        fusses fussiez fussions fut fûmes fût fûtes il ils j je l la le les leur lui m ma mais
        me mes moi mon même n ne nos notre nous on ont ou par pas pour qu que qui s sa se sera
        serai seraient serais serait seras serez seriez serions serons seront ses soient sois
        soit sommes son sont soyez soyons suis sur t ta te tes toi ton tu un une vos votre vous
        y à étaient étais était étant étante étantes étants étiez étions été étée étées étés
        êtes
    """.split()),
}

# The most frequent words of each language the guess tells apart, about thirty each.
MARKER_WORDS: dict[str, frozenset[str]] = {
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
    scores = {lang: sum(1 for w in words if w in stops) for lang, stops in MARKER_WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < MIN_HITS or ranked[0] < 1.3 * ranked[1]:
        return None
    return best
