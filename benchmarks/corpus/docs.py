"""Documents of a site: prose, rendering into formats, local files and shared bulletins.

A shared bulletin ``i`` is rebuilt from its own seed key, so any site can make it; the first
site to need variant ``v`` renders it and later sites copy that file byte for byte (exact
duplicates), while variants 1..3 are re-dated, re-headed near-duplicates.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING

from . import attach, formats, names, text
from . import words as W

if TYPE_CHECKING:
    from .site import Site

DOC_FORMATS = ("pdf", "pdf", "pdf", "pdf", "pdf-scan", "docx", "docx", "html", "xlsx", "zip")
SHARED_FORMATS = ("pdf", "pdf", "pdf", "pdf", "pdf-scan", "docx")
EXT = {"pdf": "pdf", "pdf-scan": "pdf", "docx": "docx", "html": "html", "xlsx": "xlsx",
       "zip": "zip", "jpg": "jpg", "png": "png", "eml": "eml"}

def paras(site: Site, topic: str | None, n: int, pool_share: float = 0.3,
           when: datetime | None = None) -> list[str]:
    """Paragraphs of site prose, recycling some of the site's boilerplate on the topic."""
    rng = site.rng
    topic = topic or text.pick_topic(rng)
    pool = site.paragraphs.setdefault(topic, [])
    out = []
    for _ in range(n):
        if pool and rng.random() < pool_share:
            out.append(rng.choice(pool))
            continue
        p = text.short_text(rng, site.info.state, topic, rng.randrange(3, 8), when,
                            site.info.title)
        out.append(p)
        if len(pool) < 60:
            pool.append(p)
    return out


def _doc_size(site: Site) -> int:
    """Paragraph count, log-normal, capped so one file never swamps a small budget."""
    cap = max(3, (site.stop_at - site.written()) // 4000)
    return max(1, min(int(site.rng.lognormvariate(2.6, 0.9)), 400, cap))


def local_doc(site: Site, topic: str | None = None, count: int | None = None) -> text.Doc:
    """A site's own bulletin of ``count`` paragraphs (log-normal when None)."""
    rng = site.rng
    doc = text.make_doc(rng, site.info.state, site.info.title, 1, topic)
    n = count or _doc_size(site)
    body = paras(site, doc.topic, n, when=doc.date)
    chunks = [body[i:i + 3] for i in range(0, len(body), 3)]
    doc.sections = [(doc.sections[0][0] if i == 0 else rng.choice(W.SECTION_HEADS), c)
                    for i, c in enumerate(chunks)]
    # One of the site's staff (who approve its e-mails and answer its requests, in its
    # tables) is the bulletin's point of contact: the same person in a table and in a
    # document. Chosen without drawing from `rng`, so nothing else of the corpus changes.
    contact = site.staff[len(doc.title) % len(site.staff)]
    doc.sections[-1][1].append(f"Point of contact: {contact.title} {contact.full}, "
                               f"{contact.agency}, {contact.email}.")
    return doc


TEXT_FORMATS = ("pdf", "docx", "html", "zip")  # whose text a reader can select (xlsx: roster)


def render(site: Site, doc: text.Doc, fmt: str) -> bytes:
    rng = site.rng
    if fmt in TEXT_FORMATS:
        site.saw(doc.text_lines())
    if fmt == "pdf":
        logo = site.logo if rng.random() < 0.5 else None
        return attach.text_pdf(doc, rng, logo, _figures(rng), site.max_w)
    if fmt == "pdf-scan":
        return attach.scan_pdf(doc, rng, rng.choice((1, 1, 1, 2, 2, 3)))
    if fmt == "docx":
        return formats.docx(doc)
    if fmt == "html":
        return formats.html_page(doc, site.info.title)
    if fmt == "xlsx":
        return roster(site, doc.title, doc.date, doc.needle)
    if fmt == "zip":
        return package(site, doc)
    if fmt == "jpg":
        return attach.flyer(rng, doc)
    raise ValueError(fmt)


def _figures(rng: random.Random) -> int:
    return rng.choice((0, 0, 0, 0, 0, 1, 1, 2, 3))


def roster(site: Site, title: str, when: datetime, needle: str = "") -> bytes:
    rows: list[list[object]] = [["Last Name", "First Name", "Agency", "Email", "Phone", "Hours"]]
    for _ in range(site.rng.randrange(5, 120)):
        p = site.person()
        rows.append([p.last, p.first, p.agency, p.email, p.phone, site.rng.randrange(1, 40)])
        site.saw([p.email, p.phone, p.full, p.agency])
    if needle:
        rows.append(["Reference", needle])
    return attach.roster_xlsx(site.rng, title, rows, site.staff[0].full, when)


def package(site: Site, doc: text.Doc) -> bytes:
    """A zip of training/bulletin material: a PDF, a DOCX, sometimes a flyer image."""
    base = attach.safe_name(doc.title, 50)
    inner = text.replace_needle(doc, "")
    members = [(f"{base}/{base}.pdf", attach.text_pdf(inner, site.rng, None)),
               (f"{base}/Handout.docx", formats.docx(inner))]
    if site.rng.random() < 0.5:
        members.append((f"{base}/Flyer.jpg", attach.flyer(site.rng, inner)))
    if doc.needle:
        members.append((f"{base}/README.txt", f"Reference tag: {doc.needle}\r\n".encode()))
    return attach.bundle(members, doc.date)


def place_doc(site: Site, folder: str, fmt: str, topic: str | None = None) -> tuple[str, text.Doc]:
    """Creates a site-local document file; returns its cell and the Doc."""
    doc = local_doc(site, topic)
    doc.needle = site.needle(fmt)
    data = render(site, doc, fmt)
    name = f"{attach.safe_name(doc.title)}.{EXT[fmt]}"
    cell = site.files.put(folder, name, data, doc.date, fmt)
    if doc.needle:
        inside = "README.txt" if fmt == "zip" else ""
        site.record_needle(doc.needle, fmt, site.files.rel_last(), inside)
    return cell, doc


def shared_doc(site: Site, folder: str) -> tuple[str, text.Doc]:
    """A bulletin shared across portals: exact copy or near-duplicate (re-dated/re-headed)."""
    run, rng = site.run, site.rng
    i = int(run.shared_pool * rng.random() ** 2.5)
    v = 0 if rng.random() < 0.6 else rng.randrange(1, 4)
    if (i, v) in site.shared_cells:
        return site.shared_cells[(i, v)]
    key = f"{run.seed}:shared:{i}"
    krng = random.Random(key)
    state = krng.choice(names.STATES)[0]
    issuer = names.agency(krng, state)
    doc = text.make_doc(krng, state, issuer, int(krng.lognormvariate(2.3, 0.7)) + 2)
    if v:
        vrng = random.Random(f"{key}:v{v}")
        doc = text.variant(doc, vrng, names.agency(vrng, state), state)
    fmt = SHARED_FORMATS[i % len(SHARED_FORMATS)]
    name = f"{attach.safe_name(doc.title)}.{EXT[fmt]}"
    src = run.shared_paths.get((i, v))
    if src is not None:
        cell = site.files.copy(folder, name, src, doc.date, fmt)
        run.manifest.exact_copies += 1
    else:
        data = render_shared(doc, fmt, random.Random(f"{key}:render:{v}"), site)
        cell = site.files.put(folder, name, data, doc.date, fmt)
        run.shared_paths[(i, v)] = site.files.last
        run.manifest.near_duplicates += v > 0
    site.shared_keys[id(doc)] = (i, v)
    shared_copy(site, doc, fmt)
    if fmt != "pdf-scan":  # copied or made, the bulletin is now in this site
        site.saw(doc.text_lines())
    site.shared_cells[(i, v)] = (cell, doc)
    return cell, doc


def shared_copy(site: Site, doc: text.Doc, fmt: str) -> None:
    """Record the file written last as a copy of `doc`, when it is a shared bulletin (the
    ground truth of near-duplicates: the manifest's ``shared_docs``)."""
    key = site.shared_keys.get(id(doc))
    if key is not None:
        site.run.manifest.shared_docs.setdefault(str(key[0]), []).append(
            {"path": site.files.rel_last(), "variant": key[1], "format": fmt})


def render_shared(doc: text.Doc, fmt: str, rng: random.Random, site: Site) -> bytes:
    if fmt == "pdf":
        return attach.text_pdf(doc, rng, None, _figures(rng), site.max_w)
    if fmt == "pdf-scan":
        return attach.scan_pdf(doc, rng, 2)
    return formats.docx(doc)


