"""One archive with three datasets, one of each visibility, and a caller of each kind.

* `open` (public): a generated BlueLeaks site (registration tables with names, e-mail
  addresses and phone numbers), real police CSVs and real Enron e-mails from the shared
  corpus, and a note with personal data written here;
* `shared` (restricted): granted to the account `journalist` and to the group `press`;
* `secret` (private): no grant at all.

Each dataset holds a note with the word `zebracorn` and its own name, so that a search shows
at once which datasets a caller reaches. Callers come with API tokens (fast) except where a
test is about sessions.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trawl.storage.datadir import DataDir

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("TRAWL_TEST_CORPUS", REPO.parent / "shared" / "corpus"))
PASSWORD = "a long test password 1"  # noqa: S105 (test accounts)
PRIVATE_NOTE = ("Incident note zebracorn {name}. Contact leak.victim@example.org or "
                "(502) 555-0147. DOB: 03/04/1971. Home: 1234 Elm Street, Apt 5. "
                "SSN 219-09-9999. Logged from 203.0.113.77.")
POLICE_CSVS = [
    "KY/jefferson_county/louisville/louisville_police/data/hate_crimes/"
    "2021_05_10_hate_crimes.csv",
    "KY/jefferson_county/louisville/louisville_police/data/firearm_intake/"
    "normalized_addresses/2021_05_10_normalized_addresses.csv",
]
ENRON_MESSAGES = ["allen-p/_sent_mail/1.", "allen-p/_sent_mail/10.", "allen-p/_sent_mail/101."]
VISIBILITY = {"open": "public", "shared": "restricted", "secret": "private"}


@dataclass(frozen=True)
class Caller:
    name: str
    token: str | None
    reads: dict[str, str]          # dataset -> none | redacted | full

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def _write_dump(root: Path, name: str) -> Path:
    folder = root / name
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / f"{name}-note.txt").write_text(PRIVATE_NOTE.format(name=name))
    # A table of people in every dataset: rows that must not show outside it.
    (folder / "people.csv").write_text(
        "PersonID,FirstName,LastName,EmailAddress,Notes\n"
        f"1,Ada,Quill,ada.quill@{name}.example,zebracorn {name} row one\n"
        f"2,Bo,Reed,bo.reed@{name}.example,zebracorn {name} row two\n")
    if name == "open":
        if str(REPO) not in sys.path:  # the generator lives in benchmarks/, beside src/
            sys.path.insert(0, str(REPO))
        from benchmarks.corpus import generate

        generate(folder / "portal", 2_000_000, seed=7, sites=1)
        for relative in POLICE_CSVS:
            source = CORPUS / "pdap-police" / relative
            (folder / "police").mkdir(exist_ok=True)
            shutil.copyfile(source, folder / "police" / source.name)
        (folder / "mail").mkdir()
        for relative in ENRON_MESSAGES:
            source = CORPUS / "enron-sample" / "maildir" / relative
            shutil.copyfile(source, folder / "mail" / (relative.replace("/", "_") + "eml"))
    return folder


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    from trawl.access.store import AccessStore
    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.ingestion.publish import set_visibility

    dumps = tmp_path_factory.mktemp("dumps")
    data = DataDir.open(tmp_path_factory.mktemp("trawl-data"))
    for name in VISIBILITY:
        ingester = Ingester(data, name, IngestOptions(workers=2, quiet=True, ocr=False))
        try:
            ingester.ingest(_write_dump(dumps, name))
        finally:
            ingester.close()
    for name, visibility in VISIBILITY.items():
        set_visibility(data, name, visibility)
    store = AccessStore(data.access_path)
    store.add_user("admin", PASSWORD, is_admin=True)
    for user in ("reader", "journalist", "member"):
        store.add_user(user, PASSWORD)
    store.add_group("press")
    store.set_membership("press", "member", True)
    store.grant("shared", "user", "journalist", by="test")
    store.grant("shared", "group", "press", by="test")
    store.close()
    return data


@pytest.fixture(scope="session")
def callers(archive: DataDir) -> dict[str, Caller]:
    from trawl.access.store import AccessStore

    store = AccessStore(archive.access_path)
    tokens = {name: store.create_token(name, "tests")[0]
              for name in ("admin", "reader", "journalist", "member")}
    store.close()
    redacted = {"open": "redacted", "shared": "none", "secret": "none"}
    granted = {"open": "redacted", "shared": "full", "secret": "none"}
    return {
        "anonymous": Caller("anonymous", None, redacted),
        "reader": Caller("reader", tokens["reader"], redacted),
        "journalist": Caller("journalist", tokens["journalist"], granted),
        "member": Caller("member", tokens["member"], granted),
        "admin": Caller("admin", tokens["admin"], dict.fromkeys(VISIBILITY, "full")),
    }


@pytest.fixture(scope="session")
def app(archive: DataDir):
    from trawl.web.app import create_app

    return create_app(archive)


@pytest.fixture(scope="session")
def web(app) -> Iterator:
    """A client with no credentials of its own: each request brings its caller's."""
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=True, follow_redirects=False) as client:
        yield client


@pytest.fixture
def browser_client(app) -> Iterator:
    """A client that keeps cookies, for sessions and CSRF."""
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=True, follow_redirects=False) as client:
        yield client
