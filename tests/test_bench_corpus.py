"""The synthetic BlueLeaks-shaped corpus generator (benchmarks/corpus)."""

from __future__ import annotations

import csv
import email
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.corpus import generate, manifest_path, parse_size  # noqa: E402
from benchmarks.corpus import text as ctext  # noqa: E402
from benchmarks.corpus.names import FIRST_NAMES  # noqa: E402

SIZE = 2_500_000


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        h.update(rel.encode() + b"\0")
        if p.is_file():
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("gen") / "corpus"
    manifest = generate(out, SIZE, seed=7, sites=2)
    return out, manifest


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        data = raw.decode("utf-8")
    except UnicodeDecodeError:
        data = raw.decode("cp1252")
    return list(csv.reader(io.StringIO(data, newline="")))


def site_dirs(root: Path) -> list[Path]:
    return [p.parent for p in root.rglob("Company.csv")]


def test_structure(tiny):
    root, m = tiny
    assert (root / "lost+found").is_dir()
    sites = site_dirs(root)
    assert len(sites) == 2
    for site in sites:
        tables = list(site.glob("*.csv"))
        assert 206 <= len(tables) <= 244
        for name in ("Company", "Style", "SecurityOptions", "CatalogOptions", "CustomerCount"):
            assert (site / f"{name}.csv").is_file()
        assert (site / "files").is_dir()
        empty = 0
        for t in tables:
            raw = t.read_bytes()
            assert raw.endswith(b"\r\n")
            rows = read_csv(t)
            assert rows[0][0].lower().endswith("id")
            empty += len(rows) == 1
        assert empty > len(tables) / 2
    assert m.bytes >= SIZE * 0.8
    undecodable = 0
    for t in root.rglob("*.csv"):
        try:
            t.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            undecodable += 1
    assert undecodable, "expected some windows-1252 exports"
    assert m.files_by_type["csv"] == sum(len(list(s.glob("*.csv"))) for s in sites)


def test_joins(tiny):
    root, _ = tiny
    site = site_dirs(root)[0]

    def col(table: str, name: str) -> list[str]:
        rows = read_csv(site / f"{table}.csv")
        i = rows[0].index(name)
        return [r[i] for r in rows[1:]]

    cats = set(col("DocumentCategory", "DocumentCategoryID"))
    assert set(col("Documents", "DocumentCategoryID")) <= cats
    forms = set(col("FormBuilder", "FormName"))
    assert set(col("SARs", "NSFormName")) <= forms
    assert set(col("EventRegistration", "EventFormName")) <= set(col("EventBuilder", "FormName"))
    assert set(col("IncidentMap", "Category")) <= set(
        col("IncidentMapCategory", "IncidentMapCategoryName"))


def test_attachment_cells_resolve(tiny):
    root, _ = tiny
    checked = 0
    for site in site_dirs(root):
        listing = {p.relative_to(site).as_posix().lower() for p in site.rglob("*") if p.is_file()}
        for table in site.glob("*.csv"):
            for row in read_csv(table)[1:]:
                for cell in row:
                    if cell.lower().startswith("files\\"):
                        assert cell.replace("\\", "/").lower() in listing, (table.name, cell)
                        checked += 1
    assert checked > 20


def test_fictitious_only(tiny):
    root, _ = tiny
    site = site_dirs(root)[0]
    rows = read_csv(site / "Registrations.csv")
    head = rows[0]
    for r in rows[1:]:
        assert r[head.index("EmailAddress")].split("@")[1] in {
            "example.org", "example.com", "example.net"}
        assert "555-01" in r[head.index("WorkPhone")]
        assert r[head.index("IPAddress")].startswith(("192.0.2.", "198.51.100.", "203.0.113."))


def test_manifest_holds_the_truth_of_entities(tiny):
    """Every address, phone and IP of a table's row is in the truth, with its site; the
    truth holds only the generator's fictitious formats, each in the sites it names."""
    root, m = tiny
    truth = json.loads(manifest_path(root).read_text())["entities"]
    assert set(truth) == {"email", "phone", "ip", "url", "domain", "person", "org"}
    assert all(truth[kind] for kind in truth)
    for site in site_dirs(root):
        name = site.relative_to(root).as_posix()
        rows = read_csv(site / "Registrations.csv")
        head = rows[0]
        for r in rows[1:]:
            assert name in truth["email"][r[head.index("EmailAddress")]]
            assert name in truth["phone"][r[head.index("WorkPhone")]]
            assert name in truth["ip"][r[head.index("IPAddress")]]
            assert name in truth["person"][r[head.index("FullName")]]
            first_last = f"{r[head.index('FirstName')]} {r[head.index('LastName')]}"
            assert name in truth["person"][first_last]
            assert name in truth["org"][r[head.index("AgencyOrganization")]]
    # Only the generator's made-up people: a first name and an invented surname.
    assert all(v.split(" ")[0] in FIRST_NAMES and len(v.split(" ")) == 2
               for v in truth["person"])
    for value, sites in truth["phone"].items():
        assert value[6:12] == "555-01" and set(sites) <= set(m.sites), value
    assert all(v.split("@")[1] in {"example.org", "example.com", "example.net"}
               for v in truth["email"])
    assert any(v.endswith("-secure-login.example.com") for v in truth["domain"])


def test_deterministic(tiny, tmp_path):
    root, _ = tiny
    again = tmp_path / "again"
    generate(again, SIZE, seed=7, sites=2)
    assert tree_hash(again) == tree_hash(root)
    other = tmp_path / "other"
    generate(other, SIZE, seed=8, sites=2)
    assert tree_hash(other) != tree_hash(root)


def test_manifest_outside_tree(tiny):
    root, m = tiny
    path = manifest_path(root)
    assert path.parent == root.parent
    data = json.loads(path.read_text())
    assert data["bytes"] == m.bytes
    on_disk = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert on_disk == m.bytes


def _needles(m) -> dict[str, dict[str, str]]:
    return {n["kind"]: n for n in m.needles}


def test_formats_open_and_hold_text(tiny):
    pymupdf = pytest.importorskip("pymupdf")
    docx = pytest.importorskip("docx")
    openpyxl = pytest.importorskip("openpyxl")
    root, m = tiny
    needles = _needles(m)
    for kind in ("pdf", "docx", "xlsx", "html", "eml", "csv"):
        assert kind in needles, kind
    pdf = needles["pdf"]
    with pymupdf.open(root / pdf["path"]) as doc:
        assert pdf["term"] in "".join(page.get_text() for page in doc)
    d = docx.Document(str(root / needles["docx"]["path"]))
    assert any(needles["docx"]["term"] in p.text for p in d.paragraphs)
    wb = openpyxl.load_workbook(root / needles["xlsx"]["path"], read_only=True)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert needles["xlsx"]["term"] in cells
    assert needles["html"]["term"] in (root / needles["html"]["path"]).read_text("utf-8")
    msg = email.message_from_bytes((root / needles["eml"]["path"]).read_bytes())
    assert msg.is_multipart() and msg["Subject"]
    body = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    assert needles["eml"]["term"] in body.get_payload(decode=True).decode()
    assert needles["csv"]["term"] in (root / needles["csv"]["path"]).read_bytes().decode(
        "utf-8", "replace")


def test_all_pdfs_office_and_zips_open(tiny):
    pymupdf = pytest.importorskip("pymupdf")
    root, _ = tiny
    pdfs = [p for p in root.rglob("*") if p.suffix.lower() == ".pdf"]
    assert pdfs
    scanned = 0
    for p in pdfs:
        with pymupdf.open(p) as doc:
            assert doc.page_count >= 1
            if not "".join(page.get_text() for page in doc).strip():
                scanned += 1
                assert doc[0].get_images()
    for p in root.rglob("*"):
        if p.suffix.lower() in (".docx", ".xlsx", ".zip"):
            with zipfile.ZipFile(p) as zf:
                assert zf.testzip() is None


def test_scanned_pdf_is_image_only():
    pymupdf = pytest.importorskip("pymupdf")
    import random

    from benchmarks.corpus import attach

    rng = random.Random(1)
    doc = ctext.make_doc(rng, "CA", "Test Center", 4)
    data = attach.scan_pdf(doc, rng, 2)
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        assert not pdf[0].get_text().strip()
        assert pdf[0].get_images()


def test_images_open(tiny):
    from PIL import Image

    root, _ = tiny
    imgs = [p for p in root.rglob("*") if p.suffix.lower() in (".jpg", ".png")]
    assert imgs
    for p in imgs[:30]:
        with Image.open(p) as im:
            im.verify()


def test_near_duplicate_variant():
    import random

    doc = ctext.make_doc(random.Random(3), "TX", "Alpha Center", 6)
    var = ctext.variant(doc, random.Random(4), "Beta Center", "TX")
    a, b = doc.paragraphs(), var.paragraphs()
    assert len(a) == len(b)
    assert sum(x != y for x, y in zip(a, b, strict=True)) == 1
    assert var.agency == "Beta Center" and var.date > doc.date


def test_parse_size():
    assert parse_size("50MB") == 50_000_000
    assert parse_size("2 MiB") == 2 * 2**20
    assert parse_size("1.5GB") == 1_500_000_000
    with pytest.raises(ValueError):
        parse_size("lots")


def test_mix_shared_corpus(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_bytes(b"hello" * 100)
    out = tmp_path / "out"
    m = generate(out, 400_000, seed=1, sites=1, mix_corpus=src)
    assert (out / "shared-corpus" / "sub" / "a.txt").read_bytes() == b"hello" * 100
    assert m.shared_corpus_files == 1


def test_refuses_non_empty_output(tmp_path):
    (tmp_path / "x").write_text("x")
    with pytest.raises(FileExistsError):
        generate(tmp_path, 100_000)
