"""Read-only catalog queries for browsing: a dataset's overview, its folders, a file's neighbours.

Folders are not stored: they are the prefixes of the paths of files on disk (`depth = 0`;
archive members and attachments are reached from their container's page). A folder listing is
a range scan on the (dataset_id, path) index: every path under "a/b/" lies in
["a/b/", "a/b0") because '0' is the character after '/'. No LIKE, so '%' and '_' in names are
plain characters. Every statement is parameterised.
"""

from __future__ import annotations

from dataclasses import dataclass

from trawl.storage.catalog import Catalog, FileRow

# Messages shown under each code of the overview (the problems page lists every file).
REASONS_PER_CODE = 10


@dataclass
class FolderEntry:
    name: str
    path: str          # the folder's path, no trailing slash
    files: int         # files on disk anywhere below it
    size: int          # their total size in bytes
    modified: float | None = None  # the newest modification time below it (epoch seconds)


@dataclass
class FileEntry:
    row: FileRow
    name: str
    family: str | None
    title: str | None
    document_status: str | None


@dataclass
class FolderListing:
    path: str
    folders: list[FolderEntry]
    files: list[FileEntry]
    total_files: int   # files directly in this folder (for paging `files`)


@dataclass
class CodeGroup:
    """The failed (or skipped) paths of one failure code, with their commonest messages."""

    code: str                                    # trawl.errors.CODES, or UNKNOWN
    count: int
    reasons: list[tuple[str, int]]               # message, paths (the commonest)


@dataclass
class Overview:
    files: int
    bytes: int
    contents: int
    by_status: dict[str, int]
    by_type: list[tuple[str, int, int]]          # family, files, bytes
    date_from: str | None
    date_to: str | None
    failures: list[CodeGroup]                    # by code, the commonest first
    skipped: list[CodeGroup]
    top_folders: int


def normalise_folder(path: str) -> str:
    """'a/b/' or '/a/b' -> 'a/b'; '' is the dataset's root."""
    return "/".join(part for part in path.split("/") if part)


def _range(folder: str) -> tuple[str, str | None]:
    """The [low, high) bounds of the paths below `folder` ('' = everything)."""
    if not folder:
        return "", None
    prefix = folder + "/"
    return prefix, folder + "0"


def _range_sql(high: str | None) -> str:
    return "path >= ?" + (" AND path < ?" if high is not None else "")


# How a listing may be sorted: by name (A to Z), by date (newest first), by size (largest
# first); ties, and files without a date, by name.
FOLDER_SORTS = ("name", "date", "size")
_FILE_ORDER = {"name": "f.path", "date": "f.mtime IS NULL, f.mtime DESC, f.path",
               "size": "f.size IS NULL, f.size DESC, f.path"}


def list_folder(catalog: Catalog, dataset_id: int, folder: str, offset: int = 0,
                limit: int = 200, sort: str = "name") -> FolderListing:
    if sort not in FOLDER_SORTS:
        raise ValueError(f"sort is one of {', '.join(FOLDER_SORTS)}")
    folder = normalise_folder(folder)
    low, high = _range(folder)
    bounds = [low] + ([high] if high is not None else [])
    start = len(low) + 1  # 1-based substr position of the part below the folder
    sub = (
        f"SELECT substr(path, ?) AS rest, size, mtime FROM files WHERE dataset_id = ? "
        f"AND depth = 0 "
        f"AND kind != 'dir' AND {_range_sql(high)}"
    )
    params = [start, dataset_id, *bounds]
    folders = [
        FolderEntry(r["name"], f"{folder}/{r['name']}" if folder else r["name"], r["n"],
                    r["bytes"] or 0, r["modified"])
        for r in catalog.db.execute(
            f"SELECT substr(rest, 1, instr(rest, '/') - 1) AS name, COUNT(*) AS n, "
            f"SUM(size) AS bytes, MAX(mtime) AS modified FROM ({sub}) "
            "WHERE instr(rest, '/') > 0 GROUP BY name ORDER BY name", params)
    ]
    if sort != "name":  # every sub-folder is listed at once: sorted here, names breaking ties
        key = "modified" if sort == "date" else "size"
        folders.sort(key=lambda f: (getattr(f, key) is None, -(getattr(f, key) or 0)))
    direct = (
        "FROM files f LEFT JOIN contents c ON c.sha256 = f.sha256 WHERE f.dataset_id = ? "
        f"AND f.depth = 0 AND f.kind != 'dir' AND {_range_sql(high).replace('path', 'f.path')} "
        "AND instr(substr(f.path, ?), '/') = 0"
    )
    direct_params = [dataset_id, *bounds, start]
    total = catalog.db.execute(f"SELECT COUNT(*) {direct}", direct_params).fetchone()[0]
    rows = catalog.db.execute(
        f"SELECT f.*, c.family AS c_family, c.title AS c_title, c.status AS c_status {direct} "
        f"ORDER BY {_FILE_ORDER[sort]} LIMIT ? OFFSET ?",
        [*direct_params, limit, offset]).fetchall()
    return FolderListing(folder, folders, [_file_entry(r) for r in rows], total)


def _file_entry(r: object) -> FileEntry:
    data = dict(r)  # type: ignore[call-overload]
    family, title, status = data.pop("c_family"), data.pop("c_title"), data.pop("c_status")
    row = FileRow(**data)
    return FileEntry(row, row.path.rsplit("/", 1)[-1], family, title, status)


def folder_exists(catalog: Catalog, dataset_id: int, folder: str) -> bool:
    folder = normalise_folder(folder)
    if not folder:
        return True
    low, high = _range(folder)
    row = catalog.db.execute(
        "SELECT 1 FROM files WHERE dataset_id = ? AND path >= ? AND path < ? LIMIT 1",
        (dataset_id, low, high)).fetchone()
    return row is not None


def neighbours(catalog: Catalog, row: FileRow, count: int = 3) -> tuple[list[FileEntry],
                                                                        list[FileEntry]]:
    """The files just before and just after `row` in its folder (or its container)."""
    select = ("SELECT f.*, c.family AS c_family, c.title AS c_title, c.status AS c_status "
              "FROM files f LEFT JOIN contents c ON c.sha256 = f.sha256 ")
    if row.parent_id is not None:
        where, params = "f.parent_id = ?", [row.parent_id]
    else:
        folder = row.path.rsplit("/", 1)[0] if "/" in row.path else ""
        low, high = _range(folder)
        start = len(low) + 1
        where = (f"f.dataset_id = ? AND f.depth = 0 AND f.kind != 'dir' AND "
                 f"{_range_sql(high).replace('path', 'f.path')} "
                 "AND instr(substr(f.path, ?), '/') = 0")
        params = [row.dataset_id, low, *([high] if high is not None else []), start]
    before = catalog.db.execute(
        f"{select} WHERE {where} AND f.path < ? ORDER BY f.path DESC LIMIT ?",
        [*params, row.path, count]).fetchall()
    after = catalog.db.execute(
        f"{select} WHERE {where} AND f.path > ? ORDER BY f.path LIMIT ?",
        [*params, row.path, count]).fetchall()
    return [_file_entry(r) for r in reversed(before)], [_file_entry(r) for r in after]


def overview(catalog: Catalog, dataset_id: int) -> Overview:
    totals = catalog.totals(dataset_id)
    by_type = [
        (r["family"], r["n"], r["bytes"] or 0)
        for r in catalog.db.execute(
            "SELECT COALESCE(c.family, 'unknown') AS family, COUNT(*) AS n, "
            "SUM(f.size) AS bytes FROM files f LEFT JOIN contents c ON c.sha256 = f.sha256 "
            "WHERE f.dataset_id = ? AND f.kind != 'dir' GROUP BY 1 ORDER BY n DESC, family",
            (dataset_id,))
    ]
    dates = catalog.db.execute(
        "SELECT MIN(c.doc_date) AS low, MAX(c.doc_date) AS high FROM documents d "
        "JOIN contents c ON c.sha256 = d.sha256 WHERE d.dataset_id = ? "
        "AND c.doc_date >= '1900' AND c.doc_date < '2101'", (dataset_id,)).fetchone()
    top = catalog.db.execute(
        "SELECT COUNT(DISTINCT substr(path, 1, instr(path, '/') - 1)) FROM files "
        "WHERE dataset_id = ? AND depth = 0 AND instr(path, '/') > 0",
        (dataset_id,)).fetchone()[0]
    return Overview(
        files=totals["files"], bytes=totals["bytes"], contents=totals["contents"],
        by_status=catalog.counts_by_status(dataset_id), by_type=by_type,
        date_from=dates["low"], date_to=dates["high"],
        failures=code_groups(catalog, dataset_id, "failed"),
        skipped=code_groups(catalog, dataset_id, "skipped"),
        top_folders=top)


def code_groups(catalog: Catalog, dataset_id: int, status: str,
                reasons: int = REASONS_PER_CODE) -> list[CodeGroup]:
    """The failed (or skipped) paths grouped by code, each with its commonest messages."""
    return [CodeGroup(code, count, catalog.errors_by_reason(dataset_id, status, reasons, code))
            for code, count in catalog.errors_by_code(dataset_id, status)]


def files_with_reason(catalog: Catalog, dataset_id: int, status: str, reason: str | None,
                      limit: int = 100, code: str | None = None) -> list[FileRow]:
    """Some of the files that failed (or were skipped) for one reason, of one code, or both
    (None: any)."""
    where, args = "", []
    if reason is not None:
        where, args = " AND COALESCE(error, '') = ?", [reason]
    if code is not None:
        extra, code_args = catalog.code_condition(code)
        where, args = where + extra, [*args, *code_args]
    rows = catalog.db.execute(
        f"SELECT * FROM files WHERE dataset_id = ? AND status = ?{where} "
        "ORDER BY path LIMIT ?", (dataset_id, status, *args, limit)).fetchall()
    return [FileRow(**dict(r)) for r in rows]


def largest_folders(catalog: Catalog, dataset_id: int, limit: int = 10) -> list[FolderEntry]:
    """The folders two levels down (`ncric/files`, or a top folder's own files as
    `ncric`) holding the most bytes of files on disk, the largest first: one pass over the
    dataset's paths, grouped by their first two components."""
    rows = catalog.db.execute(
        "SELECT CASE WHEN instr(rest, '/') > 0 THEN top || '/' || "
        "substr(rest, 1, instr(rest, '/') - 1) ELSE top END AS folder, COUNT(*) AS n, "
        "SUM(size) AS bytes, MAX(mtime) AS modified FROM ("
        "SELECT substr(path, 1, instr(path, '/') - 1) AS top, "
        "substr(path, instr(path, '/') + 1) AS rest, size, mtime FROM files "
        "WHERE dataset_id = ? AND depth = 0 AND kind != 'dir' AND instr(path, '/') > 0) "
        "GROUP BY folder ORDER BY bytes DESC, folder LIMIT ?", (dataset_id, limit)).fetchall()
    return [FolderEntry(r["folder"].rsplit("/", 1)[-1], r["folder"], r["n"], r["bytes"] or 0,
                        r["modified"]) for r in rows]
