"""Text analysis for the index: which words a text is made of, per language.

Every text is indexed twice: once *exact* (lower case, accents folded, nothing removed) in
the plain fields (`text`, `title`, ...), which serve "exact phrases", prefix* and fuzzy~
queries and the highlighting of what was typed; and once *stemmed* in the field of the
document's language (`text_en` or `text_fr`, `title_en` or `title_fr`), where stop words are
dropped and words reduced to their stem (Snowball), so that "computers" finds "computing"
and "présidentielles" finds "présidentiel". Plain-word queries search both: the stemmed field finds
the variants, the exact field adds a little for the very form that was typed.

The language of a document is guessed from its common words (trawl/language.py); French documents
get the French analyser and every other document, the unknown ones included, the English
one: most dumps are mostly English, and English stemming does little harm to other Latin-
script text. The language of a query is guessed the same way when it is long enough to
tell; a short query searches both stemmed fields (in an archive with no French document,
the French field is empty and costs nothing).
"""

from __future__ import annotations

import re

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

from trawl.language import STOP_WORDS, guess_language

EXACT = "trawl"                     # the analyser of the exact fields (its name is in old indexes)
LANGUAGES = ("en", "fr")            # languages with a stemmed field
DEFAULT_LANGUAGE = "en"             # the stemmed field of documents in any other language
_SNOWBALL = {"en": "english", "fr": "french"}
MAX_TOKEN_CHARS = 64                # longer "words" are base64, hashes: not worth indexing

def stemmed_field(base: str, language: str) -> str:
    """`text` + `fr` -> `text_fr`: the stemmed twin of an exact field."""
    return f"{base}_{language}"


def analyzer_name(language: str) -> str:
    return f"{EXACT}_{language}"


def exact_analyzer() -> tantivy.TextAnalyzer:
    # Lower case and ASCII folding so that "Café" finds "cafe"; very long tokens (base64,
    # hashes) are dropped rather than bloating the term dictionary.
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_CHARS))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build()
    )


def stemming_analyzer(language: str) -> tantivy.TextAnalyzer:
    # Stop words and stems are looked up before accents are folded: the lists and the
    # Snowball rules are written with accents ("été", "-ité"). Folding last then makes
    # "elections" typed without accents meet "élections".
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_CHARS))
        .filter(Filter.lowercase())
        .filter(Filter.custom_stopword(sorted(STOP_WORDS[language])))
        .filter(Filter.stemmer(_SNOWBALL[language]))
        .filter(Filter.ascii_fold())
        .build()
    )


def register(index: tantivy.Index) -> None:
    """Register every analyser the schema names; needed on each opening of an index."""
    index.register_tokenizer(EXACT, exact_analyzer())
    for language in LANGUAGES:
        index.register_tokenizer(analyzer_name(language), stemming_analyzer(language))


def document_language(language: str | None) -> str:
    """The stemmed field a document's text goes to."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def query_languages(text: str) -> tuple[str, ...]:
    """The stemmed fields a query searches: its language when that can be told (a long
    query), else all of them."""
    guessed = guess_language(text)
    if guessed in LANGUAGES:
        return (guessed,)
    return LANGUAGES


_SPLIT = TextAnalyzerBuilder(Tokenizer.simple()).filter(
    Filter.remove_long(MAX_TOKEN_CHARS)).filter(Filter.lowercase()).build()
_FOLD = exact_analyzer()
_NON_WORD = re.compile(r"\W+")


def query_words(text: str, languages: tuple[str, ...], unique: bool = True) -> list[str]:
    """The words of a plain query that carry meaning: lower case, in order, each once (unless
    not `unique`).

    Dropped: the stop words of the query's language when it is known; when it is not, those
    of the default language only, since French ones are English words too ("son", "ai",
    "la"), still found through the English field. Nothing is dropped when nothing else would
    be left: "to be or not to be" is a fine query."""
    words = _SPLIT.analyze(text)
    stops = STOP_WORDS[languages[0] if len(languages) == 1 else DEFAULT_LANGUAGE]
    kept = [w for w in words if w not in stops and _fold(w) not in stops] or words
    return list(dict.fromkeys(kept)) if unique else kept


def stems(text: str, language: str) -> list[str]:
    """The terms `text` gives in the stemmed field of `language`."""
    analyzer = _STEMMERS.get(language)
    if analyzer is None:
        analyzer = _STEMMERS[language] = stemming_analyzer(language)
    return analyzer.analyze(text)


_STEMMERS: dict[str, tantivy.TextAnalyzer] = {}


def _fold(word: str) -> str:
    folded = _FOLD.analyze(word)
    return folded[0] if folded else _NON_WORD.sub("", word)
