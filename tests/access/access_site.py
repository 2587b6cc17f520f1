"""The three datasets of the access tests, and the callers' shape: imported by the tests
(by this module's own name: `from conftest import` would find another folder's conftest)."""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "a long test password 1"  # noqa: S105 (test accounts)
PRIVATE_NOTE = ("Incident note zebracorn {name}. Contact leak.victim@example.org or "
                "(502) 555-0147. DOB: 03/04/1971. Home: 1234 Elm Street, Apt 5. "
                "SSN 219-09-9999. Logged from 203.0.113.77.")
# A trader's sent mail, as the Enron maildir holds it (headers, X-From..., plain text):
# addresses in From/To and a phone number in the text, to be masked for strangers.
MAIL_SENDER = "dana.reyes@northgas.example"
SENT_MAIL = {
    "1": ("Mon, 14 May 2001 16:39:00 -0700 (PDT)", "tim.belden@northgas.example", "",
          "Here is our forecast"),
    "10": ("Fri, 4 May 2001 13:51:00 -0700 (PDT)", "john.lavorato@northgas.example", "Re:",
           "Traveling to have a business meeting takes the fun out of the trip. The forecast "
           "meeting could be held here. Call me at 713-853-7041 if you disagree."),
    "101": ("Tue, 17 Oct 2000 02:26:00 -0700 (PDT)", "mark.scott@northgas.example",
            "Re: High Speed Internet Access", "1. login: dreyes\n2. static IP address\n"
            "IP: 64.216.90.105\nGate: 64.216.90.110"),
}
# Louisville-shaped police tables: what a public dataset keeps (offences, blocks, dates).
HATE_CRIMES = [
    ["ID", "INCIDENT_NUMBER", "DATE_REPORTED", "CRIME_TYPE", "BIAS_MOTIVATION_GROUP",
     "UOR_DESC", "NIBRS_CODE", "LMPD_DIVISION", "PREMISE_TYPE", "BLOCK_ADDRESS", "City",
     "ZIP_CODE"],
    ["1", "80-10-000286", "2010-01-02 14:34:00", "VANDALISM", "ANTI-BLACK",
     "CRIMINAL MISCHIEF-3RD DEGREE", "290", "7TH DIVISION", "RESIDENCE / HOME",
     "9400 BLOCK PLUMWOOD RD", "LOUISVILLE", "40291"],
    ["2", "80-10-002572", "2010-01-12 12:28:00", "ASSAULT", "ANTI-BLACK",
     "ASSAULT - 4TH DEGREE (NO VISIBLE INJURY)", "13B", "6TH DIVISION",
     "COMMERCIAL / OFFICE BUILDING", "6200 BLOCK PRESTON HWY", "LOUISVILLE", "40219"],
    ["3", "80-10-004417", "2010-02-03 09:10:00", "INTIMIDATION", "ANTI-JEWISH",
     "TERRORISTIC THREATENING 3RD DEGREE", "13C", "5TH DIVISION", "CHURCH / SYNAGOGUE",
     "1200 BLOCK BARDSTOWN RD", "LOUISVILLE", "40204"],
]
FIREARM_INTAKE = [
    ["INCIDENT_NUMBER", "UCR_CATEGORY", "TYPE_OF_FIREARM", "FIREARM_CALIBER", "RECOVERY_DATE",
     "RECOVERY__ADDRESS", "CITY", "state", "RECOVERY_ZIPCODE", "Longitude", "Latitude"],
    ["80-10-011494", "Wpns Law Violation", "Pistol, Semi-automatic", "765M",
     "2010-02-17T00:00:00Z", "9400 National Tpke", "Louisville", "KY", "40118", "-85.752898",
     "38.125321"],
    ["80-10-011506", "Narcotics", "Shotgun, Pump Action", "20GA", "2010-02-17T00:00:00Z",
     "4500 Landside Dr", "Louisville", "KY", "40220", "-85.620998", "38.198673"],
]
VISIBILITY = {"open": "public", "shared": "restricted", "secret": "private"}
# A bulletin in every dataset, for the entity pages: a URL and its domain that a public
# reader may see, an e-mail address and a URL that holds one that they must never see.
BULLETIN = ("Bulletin of the {name} fusion centre: alerts at https://alerts.{name}-fusion.example"
            "/bulletins/2020 (see alerts.{name}-fusion.example). Tips to tips@{name}-fusion.example"
            " or https://forms.{name}-fusion.example/send?to=tips@{name}-fusion.example.\n")


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
    (folder / "bulletins").mkdir()
    (folder / "bulletins" / f"{name}-bulletin.txt").write_text(BULLETIN.format(name=name))
    # The bulletin re-posted in another source: a cluster of near-copies (exact, here).
    (folder / "reposted").mkdir()
    (folder / "reposted" / f"{name}-bulletin.txt").write_text(BULLETIN.format(name=name))
    # A table of people in every dataset: rows that must not show outside it.
    (folder / "people.csv").write_text(
        "PersonID,FirstName,LastName,EmailAddress,Notes\n"
        f"1,Ada,Quill,ada.quill@{name}.example,zebracorn {name} row one\n"
        f"2,Bo,Reed,bo.reed@{name}.example,zebracorn {name} row two\n")
    _write_media(folder / "media", name)
    _write_conversation(folder / "mail", name)
    if name == "open":
        if str(REPO) not in sys.path:  # the generator lives in benchmarks/, beside src/
            sys.path.insert(0, str(REPO))
        from benchmarks.corpus import generate

        generate(folder / "portal", 2_000_000, seed=7, sites=1)
        _write_csv(folder / "police" / "hate_crimes.csv", HATE_CRIMES)
        _write_csv(folder / "police" / "firearm_intake.csv", FIREARM_INTAKE)
        for number, message in SENT_MAIL.items():
            path = folder / "mail" / f"reyes-d__sent_mail_{number}.eml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_maildir_message(number, *message), encoding="ascii")
    return folder


# A question and its reply in every dataset (the thread pages, test_thread_access.py).
CONVERSATION = [
    ("1", "Mon, 4 Jun 2001 09:00:00 +0000", "ana.ortiz@{name}.example", "lee.park@{name}.example",
     "Quarterly figures {name}", None, "Are the quarterly figures of {name} ready?"),
    ("2", "Mon, 4 Jun 2001 10:00:00 +0000", "lee.park@{name}.example", "ana.ortiz@{name}.example",
     "Re: Quarterly figures {name}", "1",
     "They are.\n\nOn Mon, 4 Jun 2001, Ana Ortiz wrote:\n> Are the quarterly figures of "
     "{name} ready?\n"),
]


def _write_conversation(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number, date, sender, to, subject, reply_to, body in CONVERSATION:
        headers = [f"Message-ID: <q{number}.{name}@mail.example>", f"Date: {date}",
                   f"From: {sender.format(name=name)}", f"To: {to.format(name=name)}",
                   f"Subject: {subject.format(name=name)}"]
        if reply_to:
            headers.append(f"In-Reply-To: <q{reply_to}.{name}@mail.example>")
        (folder / f"{name}-figures-{number}.eml").write_text(
            "\n".join(headers) + "\n\n" + body.format(name=name) + "\n", encoding="ascii")


def _write_media(folder: Path, name: str) -> None:
    """A page, a PDF and a photo: what the routes of HTML frames, page images and image
    previews serve (test_route_table.py probes them)."""
    import fixture_files as ff

    folder.mkdir()
    (folder / f"{name}-page.html").write_text(
        f"<html><body><p>Bulletin page of {name}.</p></body></html>", encoding="utf-8")
    ff.write_pdf(folder / f"{name}-bulletin.pdf", [f"Bulletin of {name}, page one."])
    ff.write_image(folder / f"{name}-photo.png", [f"photo of {name}"])


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(rows)


def _maildir_message(number: str, date: str, to: str, subject: str, body: str) -> str:
    return (f"Message-ID: <{number}.1075855378110.JavaMail.evans@thyme>\n"
            f"Date: {date}\nFrom: {MAIL_SENDER}\nTo: {to}\nSubject: {subject}\n"
            "Mime-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
            "Content-Transfer-Encoding: 7bit\nX-From: Dana Reyes\nX-To: "
            f"{to.split('@')[0].replace('.', ' ').title()}\nX-cc: \nX-bcc: \n"
            "X-Folder: \\Reyes_Dana\\Sent Mail\nX-Origin: Reyes-D\n"
            f"X-FileName: dreyes.pst\n\n{body}\n")
