"""Interface languages: gettext catalogues (Babel .po files) read at start-up, chosen per request.

The .po files are the source of truth and are read directly (`read_po`), so no compiled .mo
needs to be committed. The language of a request is, in order: `?lang=`, the `lang` cookie
(set when the reader picks a language), the browser's Accept-Language, English.

Jinja's i18n extension calls `gettext` / `ngettext`; those look up the translations of the
request being rendered through a context variable, so one environment serves every language.
"""

from __future__ import annotations

import gettext as gettext_module
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"
COOKIE = "lang"

_catalogues: dict[str, gettext_module.NullTranslations] = {}
_current: ContextVar[str] = ContextVar("trawl_language", default=DEFAULT_LANGUAGE)


def load_translations(language: str) -> gettext_module.NullTranslations:
    """The translations of `language`, read from its .po file (cached)."""
    if language not in _catalogues:
        po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        if language == DEFAULT_LANGUAGE or not po.exists():
            _catalogues[language] = gettext_module.NullTranslations()
        else:
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            buffer = BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            _catalogues[language] = Translations(fp=buffer)
    return _catalogues[language]


def choose_language(query_lang: str | None, cookie: str | None,
                    accept_language: str | None) -> str:
    for candidate in (query_lang, cookie):
        if candidate in LANGUAGES:
            return candidate
    return negotiate(accept_language or "")


def negotiate(header: str) -> str:
    """The best supported language of an Accept-Language header (q-values respected)."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            wanted.append((-quality, position, tag.strip()))
    for negative_quality, _, tag in sorted(wanted):
        if negative_quality >= 0:
            break
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    """Make `language` the one `gettext` uses in this context (one request's rendering)."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def current_locale() -> Locale:
    return Locale.parse(current_language())


def gettext(message: str) -> str:
    return load_translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return load_translations(_current.get()).ngettext(singular, plural, n)


_ = gettext
