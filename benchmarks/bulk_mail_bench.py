"""Bulk mail (#14 item 5): what reading BlueLeaks' EmailBuilder rows as messages adds to
an ingestion, and how fast their conversations and correspondents answer.

    python -m benchmarks.bulk_mail_bench [--sites 4] [--rows 250] [--recipients 2000]
                                         [--pages 40] [--json FILE] [--keep DIR]

A dump of `--sites` portal folders, each with an `EmailBuilder.csv` of `--rows` bulletins
(HTML bodies with literal \\n escapes, two attachments by Windows paths) whose
`SentEmailList` files hold up to `--recipients` addresses each (a third of the rows: 10 %
to 100 % of that; the others a custom list of three), and a forward of one bulletin in
ten from one of its recipients (an .eml without threading headers). Ingested with
``--no-threads --no-entities --no-ocr`` (timed: the baseline), then `trawl threads build`
(its own time from its summary line, as benchmarks/threads_bench.py reads it): the ratio
is what threading bulk mail adds. Then the pages, in process, as an admin: the thread
list, the largest bulk-mail conversations (page and API), correspondents by address and
by domain (`threads_bench.timed_pages`).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.threads_bench import app_client, stage_seconds, timed_pages, trawl

BODY = ('<div style="font-family:Arial">\\n<p>Bulletin {n}: <b>officer safety</b> '
        'notice.</p>\\n<p>Distribution limited to law enforcement.</p></div>')


def generate(root: Path, sites: int, rows: int, recipients: int, seed: int) -> int:
    """The dump; returns the number of recipients written in all."""
    rng = random.Random(seed)
    people = [f"officer{i}@agency{i % 300}.example" for i in range(max(recipients * 2, 100))]
    total = 0
    for s in range(sites):
        site = root / f"site{s:02d}"
        files = site / "files" / "EmailBuilder"
        files.mkdir(parents=True)
        (site / "files" / "DDF").mkdir()
        (site / "files" / "DDF" / "bulletin.txt").write_text(f"Site {s} bulletin text.\n")
        (root / "mail").mkdir(exist_ok=True)
        with (site / "EmailBuilder.csv").open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["EmailBuilderID", "EmailFrom", "EmailSubject", "EmailBody",
                          "SentEmailList", "CustomEmailList", "DateSent", "Attachment1",
                          "Attachment2"])
            for n in range(1, rows + 1):
                listed: list[str] = []
                sent = ""
                if n % 3 == 0:
                    listed = rng.sample(people, rng.randint(recipients // 10, recipients))
                    (files / f"SentEmailList_{n}.txt").write_text("\r\n".join(listed))
                    sent = f"files\\EmailBuilder\\SentEmailList_{n}.txt"
                custom = rng.sample(people, 3)
                total += len(listed) + len(custom)
                subject = f"Site {s} bulletin {n}"
                day = 1 + n % 28
                out.writerow([n, f"bulletins@site{s}.example", subject,
                              BODY.format(n=n), sent, "; ".join(custom),
                              f"2020-06-{day:02d} 09:00:00", "files\\DDF\\bulletin.txt", ""])
                if n % 10 == 0:
                    forwarder = (listed or custom)[0]
                    (root / "mail" / f"fwd-{s}-{n}.eml").write_text(
                        f"From: {forwarder}\nTo: colleague@city.example\n"
                        f"Subject: Fwd: {subject}\nDate: Mon, {day:02d} Jun 2020 "
                        "12:00:00 +0000\n\nForwarding for awareness.\n")
    return total


def pages(data: Path, requests: int) -> dict[str, Any]:
    client, headers = app_client(data)
    listed = client.get("/api/datasets/bulk/threads?limit=200", headers=headers).json()
    biggest = sorted(listed["threads"], key=lambda t: -t["participant_count"])[:20]
    urls = {"thread list": ["/datasets/bulk/threads"],
            "conversation (largest bulk mail)": [f"/threads/{t['id']}" for t in biggest],
            "conversation (API)": [f"/api/threads/{t['id']}" for t in biggest],
            "correspondents": ["/datasets/bulk/correspondents"],
            "correspondents by domain": ["/datasets/bulk/correspondents?by=domain"]}
    return timed_pages(client, headers, urls, requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--rows", type=int, default=250)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bulk-bench-"))
    dump, data = work / "dump", work / "data"
    try:
        recipients = generate(dump, args.sites, args.rows, args.recipients, args.seed)
        base, _ = trawl("ingest", str(dump), "--dataset", "bulk", "--no-threads",
                        "--no-entities", "--no-ocr", "--no-neardup", "--workers", "2",
                        data=data)
        wall, summary = trawl("threads", "build", "--dataset", "bulk", data=data)
        stage = stage_seconds(summary)
        result = {"rows": args.sites * args.rows, "recipients": recipients,
                  "ingest_s": round(base, 2), "stage_s": stage, "stage_wall_s": round(wall, 2),
                  "ratio": round(stage / base, 4), "summary": summary.strip(),
                  "pages": pages(data, args.pages)}
        print(json.dumps(result, indent=2))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
