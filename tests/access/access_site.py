"""The three datasets of the access tests, and the callers' shape: imported by the tests
(by this module's own name: `from conftest import` would find another folder's conftest)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

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


def write_dump(root: Path, name: str) -> Path:
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
