"""E-mail threads: what threading adds to the ingestion of a mail-heavy dump, and how fast
the conversation pages answer.

    python -m benchmarks.threads_bench [--messages 20000] [--seed 1] [--workers 2]
                                       [--pages 200] [--json benchmarks/out/threads.json]
                                       [--keep DIR]

A. A generated mailbox dump (`generate`): `--messages` RFC 822 messages in folders of 1,000,
   in conversations of 1 to 12 messages between 2 to 6 of 400 people: replies with
   In-Reply-To and References, a fifth of the replies without threading headers (as the
   Enron maildir is: the subject fallback threads them), forwards with `Fwd:`, quoted text
   in the replies. It is ingested with ``--no-threads --no-entities --no-ocr`` (timed:
   the baseline, extraction and index), then `trawl threads build` is timed on the same
   data: the ratio of the stage's own time (its summary line: the command's start-up, which
   `trawl ingest` pays once for all its stages, is left out; the command's wall time is
   given too) to the ingestion's is what threading adds (the issue's goal: at most 10 %).
   The threads found are checked against the conversations generated (how many come out
   whole, how many merged two).
B. The pages: `--pages` requests each of a dataset's thread list, a participant's thread
   list, conversations (the largest first) and correspondents (the table by address and by
   domain, the API in a date range and in one source), through the app in process (no
   network), as an admin; p50 and p95 in ms.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORDS = ("budget grant fusion centre bulletin officer report meeting county sheriff "
         "training alert analyst request review deadline figures agency portal").split()


def generate(root: Path, messages: int, seed: int) -> dict[str, list[str]]:
    """The dump, and the truth: conversation -> the file names of its messages."""
    rng = random.Random(seed)
    people = [f"person{i}@agency{i % 40}.example" for i in range(400)]
    truth: dict[str, list[str]] = {}
    written, conversation = 0, 0
    start = datetime(2019, 1, 1, tzinfo=UTC)
    while written < messages:
        conversation += 1
        size = min(rng.choice((1, 1, 2, 2, 3, 4, 6, 12)), messages - written)
        cast = rng.sample(people, rng.randint(2, 6))
        subject = " ".join(rng.sample(WORDS, 3)) + f" {conversation}"
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 700))
        previous: list[str] = []
        names = []
        for n in range(size):
            sender, *to = rng.sample(cast, min(len(cast), 3))
            mid = f"c{conversation}.m{n}@mail.example"
            headers = [f"Message-ID: <{mid}>", f"From: {sender}", f"To: {', '.join(to)}",
                       f"Date: {format_datetime(when)}"]
            body = " ".join(rng.choices(WORDS, k=rng.randint(20, 120)))
            if n == 0:
                headers.append(f"Subject: {subject}")
            else:
                prefix = rng.choice(("Re: ", "RE: ", "Fwd: ", "TR: "))
                headers.append(f"Subject: {prefix}{subject}")
                if rng.random() > 0.2:  # a fifth lost their threading headers
                    headers += [f"In-Reply-To: <{previous[-1]}>",
                                f"References: {' '.join(f'<{p}>' for p in previous)}"]
                body += f"\n\nOn {format_datetime(when)}, {sender} wrote:\n> " + \
                    "\n> ".join(rng.choices(WORDS, k=8))
            name = f"box{written // 1000:03d}/{written:06d}.eml"
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(headers) + "\n\n" + body + "\n", encoding="ascii")
            previous.append(mid)
            names.append(name)
            written += 1
            when += timedelta(hours=rng.randint(1, 72))
        truth[str(conversation)] = names
    return truth


def trawl(*args: str, data: Path) -> tuple[float, str]:
    """(wall seconds of the command, its summary lines)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "trawl.cli.main", *args, "--data-dir",
                           str(data)], check=True, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    return time.monotonic() - started, done.stderr


def stage_seconds(summary: str) -> float:
    """The stage's own time, from its summary line (the command's less its start-up)."""
    found = re.search(r"threads: .*\(([0-9.]+) s\)", summary)
    return float(found.group(1)) if found else float("nan")


def found_threads(data: Path) -> list[set[str]]:
    from trawl.storage.catalog import Catalog
    from trawl.storage.threads import ThreadStore

    catalog = Catalog(data / "catalog.sqlite", readonly=True)
    try:
        ds = catalog.dataset("mail")
        assert ds is not None
        store = ThreadStore(catalog)
        rows, _ = store.listing(ds.id, None, 0, 10**9)
        paths = dict(catalog.db.execute(
            "SELECT d.id, f.path FROM documents d JOIN files f ON f.sha256 = d.sha256 "
            "AND f.dataset_id = d.dataset_id WHERE d.dataset_id = ?", (ds.id,)).fetchall())
        return [{paths[m] for m in store.members(r.id)} for r in rows]
    finally:
        catalog.close()


def quality(truth: dict[str, list[str]], threads: list[set[str]]) -> dict[str, Any]:
    """Conversations that came out whole (one thread holding exactly them), and threads that
    merged two conversations (what must never happen)."""
    conversation_of = {name: key for key, names in truth.items() for name in names}
    by_file = {name: i for i, members in enumerate(threads) for name in members}
    whole = sum(1 for names in truth.values()
                if len({by_file.get(n) for n in names}) == 1 and names[0] in by_file
                and len(threads[by_file[names[0]]]) == len(names))
    merged = sum(1 for members in threads
                 if len({conversation_of.get(n) for n in members}) > 1)
    return {"conversations": len(truth), "threads": len(threads), "whole": whole,
            "whole_share": round(whole / len(truth), 4), "threads_merging_two": merged}


def app_client(data: Path) -> tuple[Any, dict[str, str]]:
    """A client of the app over `data`, in process, and an admin's headers."""
    sys.path.insert(0, str(REPO / "tests"))
    from fastapi.testclient import TestClient
    from ingest_helpers import admin_headers

    from trawl.storage.datadir import DataDir
    from trawl.web.app import create_app

    datadir = DataDir.open(data)
    return TestClient(create_app(datadir)), admin_headers(datadir)


def pages(data: Path, requests: int) -> dict[str, Any]:
    client, headers = app_client(data)
    listed = client.get("/api/datasets/mail/threads?limit=200", headers=headers).json()
    biggest = sorted(listed["threads"], key=lambda t: -t["messages"])[:20]
    someone = biggest[0]["participants"][0]
    urls = {"thread list": ["/datasets/mail/threads"],
            "participant's threads": [f"/datasets/mail/threads?participant={someone}"],
            "conversation": [f"/threads/{t['id']}" for t in biggest],
            "conversation (API)": [f"/api/threads/{t['id']}" for t in biggest],
            "correspondents": ["/datasets/mail/correspondents"],
            "correspondents by domain": ["/datasets/mail/correspondents?by=domain"],
            "correspondents, a date range (API)": [
                "/api/datasets/mail/correspondents?from=2019-06&to=2019-12-31"],
            "correspondents, one source (API)": [
                "/api/datasets/mail/correspondents?source=box001"]}
    return timed_pages(client, headers, urls, requests)


def timed_pages(client: Any, headers: dict[str, str], urls: dict[str, list[str]],
                requests: int) -> dict[str, Any]:
    """p50 and p95 (ms) of `requests` requests per label, cycling through its URLs."""
    out = {}
    for label, choices in urls.items():
        times = []
        for i in range(requests):
            started = time.perf_counter()
            response = client.get(choices[i % len(choices)], headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        times.sort()
        out[label] = {"p50_ms": round(times[len(times) // 2], 1),
                      "p95_ms": round(times[int(len(times) * 0.95) - 1], 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep the dump and data here")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="trawl-threads-"))
    dump, data = work / "dump", work / "data"
    shutil.rmtree(work, ignore_errors=True)
    truth = generate(dump, args.messages, args.seed)
    ingest_s, _ = trawl("ingest", str(dump), "--dataset", "mail", "--no-threads", "--no-ocr",
                     "--no-entities", "--quiet", "--workers", str(args.workers), data=data)
    command_s, summary = trawl("threads", "build", "--dataset", "mail", data=data)
    threads_s = stage_seconds(summary)
    result = {"messages": args.messages, "seed": args.seed, "workers": args.workers,
              "ingest_s": round(ingest_s, 1), "threads_s": round(threads_s, 2),
              "threads_command_s": round(command_s, 2),
              "ratio": round(threads_s / ingest_s, 4),
              "quality": quality(truth, found_threads(data)),
              "pages": pages(data, args.pages)}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
