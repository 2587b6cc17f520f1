"""The French interface covers the access pages: the login form is in French for a French
browser, and the French catalogue has no message left untranslated or fuzzy."""

from __future__ import annotations

from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from trawl.web.i18n import LOCALE_DIR

FRENCH_PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po"
TEMPLATE_POT = LOCALE_DIR / "messages.pot"


def test_login_page_in_french(app) -> None:
    with TestClient(app) as fresh:
        page = fresh.get("/login", headers={"Accept-Language": "fr"})
        assert page.status_code == 200
        assert '<html lang="fr"' in page.text
        for french in ("Se connecter", "Mot de passe", "Nom",
                       "Les comptes sont créés par un administrateur"):
            assert french in page.text, french
        assert "Sign in" not in page.text
        assert "Password" not in page.text

        # A message of accounts.py: the form posted without its login token.
        expired = fresh.post("/login", headers={"Accept-Language": "fr"},
                             data={"name": "nobody", "password": "x", "login_token": ""})
        assert expired.status_code == 403
        assert "Le formulaire a expiré : réessayez." in expired.text


def test_french_catalogue_complete() -> None:
    with FRENCH_PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:  # the header
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"untranslated in {FRENCH_PO.name}: {untranslated}"
    assert not fuzzy, f"fuzzy in {FRENCH_PO.name}: {fuzzy}"
    assert not list(catalog.check()), "placeholders differ between msgid and msgstr"

    with TEMPLATE_POT.open("rb") as handle:
        template = read_po(handle)
    missing = [m.id for m in template if m.id and m.id not in catalog]
    assert not missing, f"in messages.pot but not in the French catalogue: {missing}"


def test_template_holds_every_message_of_the_code(tmp_path) -> None:
    """messages.pot is what `pybabel extract` finds today (babel.cfg), so a string added to a
    template or a handler without updating the catalogues fails here, not in front of a
    French reader."""
    import os

    from babel.messages.frontend import CommandLineInterface

    fresh = tmp_path / "messages.pot"
    here = os.getcwd()
    os.chdir(LOCALE_DIR.parent)  # babel.cfg's patterns are relative to the web package
    try:
        CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "babel.cfg", "-o",
                                    str(fresh), "--project=Trawl", "."])
    finally:
        os.chdir(here)
    with fresh.open("rb") as handle:
        found = {m.id for m in read_po(handle) if m.id}
    with TEMPLATE_POT.open("rb") as handle:
        kept = {m.id for m in read_po(handle) if m.id}
    assert found - kept == set(), "run pybabel extract and update (see babel.cfg)"
    assert kept - found == set(), "messages.pot keeps strings the code no longer has"
