"""One portal folder: its tables, its ``files/`` folder, and the loop that fills it to budget.

The site owns a seeded RNG derived from the run seed and its folder name, so sites do not
depend on one another except through :class:`Run` (shared-bulletin registry, manifest).
Static tables (company, categories, forms, map categories, surveys...) are written first;
then activities from :mod:`benchmarks.corpus.activities` run until the byte budget is met.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import activities as act
from . import images, names, schema, setup
from . import words as W
from .attach import SiteFiles
from .manifest import Manifest
from .names import SiteInfo
from .tables import Table, generic_rows
from .text import START, Doc, needle_word, rand_date
from .truth import Truth

NEEDLE_KINDS = ("pdf", "pdf-scan", "docx", "xlsx", "html", "eml", "jpg", "png", "zip", "csv")
OFTEN_FILLED = ("EmailAccounts", "EventBuilderOptions", "Associates", "MenuGroup", "Catalog",
                "Links", "News", "Alerts", "FAQ", "Pages")


@dataclass
class Run:
    """State shared by all sites of one generation."""

    out: Path
    seed: int
    manifest: Manifest
    shared_pool: int
    shared_paths: dict[tuple[int, int], Path] = field(default_factory=dict)
    needles: set[str] = field(default_factory=set)
    needle_sites: int = 20
    truth: Truth = field(default_factory=Truth)


class Site:
    def __init__(self, run: Run, info: SiteInfo, index: int, stop_at: int) -> None:
        self.run = run
        self.info = info
        self.index = index
        self.stop_at = stop_at  # manifest byte count at which this site is full
        self.max_w = 1280 if stop_at - run.manifest.bytes > 10_000_000 else 640  # photo width
        self.rng = random.Random(f"{run.seed}:site:{info.path}")
        self.dir = run.out / info.path
        self.dir.mkdir(parents=True, exist_ok=True)
        self.files = SiteFiles(self.dir, run.out, self.rng, run.manifest)
        self.encoding = "cp1252" if index % 3 == 1 else "utf-8"  # a third export windows-1252
        self.tables: dict[str, Table] = {}
        self.logo = images.logo(self.rng, info.name)
        self.since = rand_date(self.rng) if index else START
        self.staff = [names.person(self.rng, info.state, info.title) for _ in range(6)]
        self.emails: list[str] = [p.email for p in self.staff]
        self.docs: list[tuple[str, Doc]] = []  # (cell, doc) reservoir for e-mail attachments
        self.shared_cells: dict[tuple[int, int], tuple[str, Doc]] = {}
        # id of a shared bulletin's Doc -> (bulletin, variant): the truth of near-copies
        self.shared_keys: dict[int, tuple[int, int]] = {}
        self.paragraphs: dict[str, list[str]] = {}
        self.pending_needles = set(NEEDLE_KINDS) if index < run.needle_sites else set()
        self.category_ids: dict[str, int] = {}
        self.forms: dict[str, list[str]] = {}
        self.map_categories: list[str] = []
        self.surveys: dict[int, list[str]] = {}
        self.taskforces: list[int] = []
        self.initiatives: list[int] = []
        self.events: list[int] = []

    # -- helpers used by activities -------------------------------------------------------

    def table(self, name: str) -> Table:
        return self.tables[name]

    def when(self) -> datetime:
        """A time within the site's active years, skewed towards 2019-2020."""
        d = rand_date(self.rng)
        return d if d >= self.since else rand_date(self.rng)

    def person(self) -> names.Person:
        return names.person(self.rng, self.info.state)

    def remember_email(self, email: str) -> None:
        if len(self.emails) < 3000:
            self.emails.append(email)
        else:
            self.emails[self.rng.randrange(len(self.emails))] = email

    def needle(self, kind: str) -> str:
        """A unique made-up word to plant in the next ``kind`` output, or '' if planted."""
        if kind not in self.pending_needles:
            return ""
        self.pending_needles.discard(kind)
        word = needle_word(self.rng)
        while word in self.run.needles:
            word = needle_word(self.rng)
        self.run.needles.add(word)
        return word

    def record_needle(self, word: str, kind: str, path: str, inside: str = "") -> None:
        entry = {"term": word, "kind": kind, "path": path}
        if inside:
            entry["inside"] = inside
        self.run.manifest.needles.append(entry)

    def saw(self, texts: object) -> None:
        """Texts of this site written where they can be read: the truth of entities."""
        self.run.truth.saw(self.info.path, texts if isinstance(texts, list | tuple) else [texts])

    def written(self) -> int:
        return self.run.manifest.bytes + sum(t.chars for t in self.tables.values())

    # -- build ----------------------------------------------------------------------------

    def build(self) -> None:
        if self.info.csv:
            self._open_tables()
            self._static_rows()
            if self.pending_needles:
                act.starter(self)
        steps = act.STEPS if self.info.csv else act.FILE_ONLY_STEPS
        kinds, weights = zip(*steps, strict=True)
        first = True
        while first or self.written() < self.stop_at:
            first = False
            self.rng.choices(kinds, weights=weights)[0](self)
        setup.orphans(self)
        self._close_tables()

    def _open_tables(self) -> None:
        m = self.run.manifest
        all_tables = schema.site_tables(self.rng)
        content = set(schema.CONTENT)
        extra = [t for t in all_tables if t not in content]
        filled = {t for t in extra if t in OFTEN_FILLED and self.rng.random() < 0.85}
        filled |= set(self.rng.sample(extra, self.rng.randrange(8, 50)))
        for name in all_tables:
            t = Table(self.dir, name, self.encoding, self.rng, self.saw)
            if name in content:
                self.tables[name] = t
                continue
            if name in filled:
                generic_rows(t, self.rng, self.rng.randrange(1, 40), self.when(),
                             self.info.state)
            m.rows += t.rows
            m.tables += 1
            m.tables_with_rows += t.rows > 0
            m.count("csv", t.close())

    def _close_tables(self) -> None:
        m = self.run.manifest
        for t in self.tables.values():
            m.rows += t.rows
            m.tables += 1
            m.tables_with_rows += t.rows > 0
            m.count("csv", t.close())
        self.tables.clear()

    def _static_rows(self) -> None:
        setup.company(self)
        self._categories()
        self._forms()
        setup.map_setup(self)
        setup.survey_setup(self)
        for name in ("Operation Safe Streets", "Regional Gang Task Force", "Cyber Task Force",
                     "Human Trafficking Task Force", "JTTF Liaison Group"):
            t = self.table("TaskForce")
            tid = t.new_id()
            t.add({"TaskForceID": tid, "TaskForceName": name, "SortOrder": tid,
                   "Description": f"{name} members of the {self.info.title}"})
            self.taskforces.append(tid)
        t = self.table("BlogCategory")
        for name in ("Announcements", "Analyst Notes", "Training", "Leadership"):
            t.add({"BlogCategoryID": t.new_id(), "CategoryName": name, "SortOrder": t.rows})
        if "hidta" in self.info.name:
            setup.hidta_setup(self)

    def _categories(self) -> None:
        t = self.table("DocumentCategory")
        roots = {"Products": 0, "Resources": 0}
        for root in roots:
            roots[root] = t.new_id()
            t.add({"DocumentCategoryID": roots[root], "DocumentCategoryParentID": 0,
                   "CategoryName": root, "CategoryDescription": f"{root} of the {self.info.name}",
                   "SecureDocumentCategory": "Yes", "SortOrder": t.rows})
        for topic, spec in W.TOPICS.items():
            for cat in spec["category"]:
                if cat in self.category_ids:
                    continue
                cid = t.new_id()
                self.category_ids[cat] = cid
                parent = roots["Products" if topic not in ("training", "covid") else "Resources"]
                t.add({"DocumentCategoryID": cid, "DocumentCategoryParentID": parent,
                       "CategoryName": cat, "CategoryDescription": f"{cat} products and notices",
                       "SecureDocumentCategory": self.rng.choice(("Yes", "No")),
                       "SortOrder": t.rows})

    def _forms(self) -> None:
        t = self.table("FormBuilder")
        sets = {"sar": ("SARs", "SuspiciousActivityReport", "TipForm", "CyberIncidentReport"),
                "request": ("RFI", "RequestForInformation", "DeconflictionRequest",
                            "ALPRRequest")}
        for kind, forms in sets.items():
            self.forms[kind] = list(forms[: self.rng.randrange(2, len(forms) + 1)])
            for form in self.forms[kind]:
                t.add({"FormBuilderID": t.new_id(), "FormName": form,
                       "FormTitle": " ".join(_split_camel(form)),
                       "FormDescription": f"Submit a {' '.join(_split_camel(form)).lower()}",
                       "EmailTo": self.staff[0].email, "Approved": "Yes",
                       "FormTimeStamp": self.when()})


def _split_camel(s: str) -> list[str]:
    out, cur = [], ""
    for ch in s:
        if ch.isupper() and cur and not cur[-1].isupper():
            out.append(cur)
            cur = ""
        cur += ch
    return [*out, cur]
