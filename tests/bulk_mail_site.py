"""A small BlueLeaks-shaped site with bulk mail, written by hand for tests/test_bulk_mail.py:
`EmailBuilder.csv` (HTML bodies with literal \\n escapes, a SentEmailList file of
addresses under files/, a CustomEmailList cell, attachments by Windows paths), one
`Documents.csv` that is no mail, and mailbox messages: a forward of the bulletin without
threading headers from one of its recipients, and one from a stranger."""

from __future__ import annotations

import csv
from pathlib import Path

SITE = "ncric"
SENDER = "bulletins@ncric.org"
SUBJECT = "Officer Safety Bulletin 2020-06"
RECIPIENTS = [f"officer{i}@agency{i % 7}.gov" for i in range(1, 41)]
CUSTOM = ["chief@sfpd.org", "analyst@ncric.org"]
BODY = ("<div style=\"font-family:Arial\">\\n<p>Protest <b>activity</b> expected.</p>"
        "<script>alert(1)</script>\\n<p>Stay safe &amp; alert.</p></div>")
COLUMNS = ["EmailBuilderID", "EmailName", "EmailFrom", "EmailFromName", "EmailSubject",
           "EmailBody", "EmailTable", "SentEmailList", "CustomEmailList", "Approved",
           "DateSent", "FormTimeStamp", "Attachment1", "Attachment2"]


def write_site(root: Path, rows: int = 1) -> Path:
    """The dump's root (holding the site folder), with `rows` bulletins (the first is the
    one forwarded; the others go to the custom list only)."""
    site = root / SITE
    (site / "files" / "EmailBuilder").mkdir(parents=True, exist_ok=True)
    (site / "files" / "DDF").mkdir(parents=True, exist_ok=True)
    (site / "files" / "EmailBuilder" / "SentEmailList_1.txt").write_text(
        "\r\n".join(RECIPIENTS), encoding="utf-8")
    (site / "files" / "DDF" / "Bulletin 2020-06.txt").write_text(
        "Officer safety bulletin: protest activity expected downtown.\n")
    with (site / "EmailBuilder.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for n in range(1, rows + 1):
            first = n == 1
            out.writerow([n, f"Bulletin {n}", SENDER, "NCRIC Bulletins",
                          SUBJECT if first else f"Weekly update {n}", BODY, "Registrations",
                          "files\\EmailBuilder\\SentEmailList_1.txt" if first else "",
                          "; ".join(CUSTOM), "Yes", f"06/0{1 + n % 8}/2020 09:00:00",
                          f"06/0{1 + n % 8}/2020 08:00:00",
                          "files\\DDF\\Bulletin 2020-06.txt" if first else "", ""])
    with (site / "Documents.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["DocumentID", "DocFilename", "DocTitle"])
        out.writerow([1, "files\\DDF\\Bulletin 2020-06.txt", "Bulletin"])
    mail = root / "mailbox"
    mail.mkdir(exist_ok=True)
    _eml(mail / "fwd.eml", f"Fwd: {SUBJECT}", RECIPIENTS[2], "sergeant@othercity.gov",
         "Wed, 3 Jun 2020 10:00:00 +0000")
    _eml(mail / "stranger.eml", f"Fwd: {SUBJECT}", "someone@elsewhere.com",
         "other@elsewhere.com", "Wed, 3 Jun 2020 11:00:00 +0000")
    return root


def _eml(path: Path, subject: str, sender: str, to: str, date: str) -> None:
    path.write_text(f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {date}\n"
                    f"Message-ID: <{path.stem}@mail.test>\n\nForwarding for awareness.\n")
