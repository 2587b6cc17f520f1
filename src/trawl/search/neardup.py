"""Near-copies as one caller may see them: a document's copies across sources (and across
the datasets the caller reads), a dataset's largest clusters, one cluster, what one source
got from another, and their CSV/JSON export.

Every read goes through the caller's scoped archive (search/service.py): a document or
dataset outside the scope is NotFound, and a copy is listed, and counted, only when the
caller may read its dataset. Clusters are made per dataset by the stage
(ingestion/neardup_stage.py); a document's copies in the caller's *other* datasets are
found here, at read time, by the same band keys and threshold (an index lookup per band),
so that a bulletin in 14 datasets is "also in 14 sources" to whoever reads them all and
"also in 3" to a reader of three. A dataset read redacted gives its copies with masked
paths and titles, as every other page does; the similarity is that of the texts
as extracted (a figure, no text).

The terminal (`trawl similar`, `trawl clusters`), the website and the JSON API share this
reader, so all give one answer.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trawl.csv_cells import csv_cell
from trawl.derive.neardup import DEFAULT_THRESHOLD, Signature, similarity
from trawl.errors import NotFound
from trawl.search.service import Archive, DocumentView
from trawl.storage.catalog import Dataset
from trawl.storage.neardup import THRESHOLD_SETTING, Cluster, Copy, NearDupStore

MAX_LIMIT = 200
MORE_LIKE = 10  # documents of "more like this"
MAX_OFFSET = 10_000


@dataclass
class NearCopy:
    """One copy as a caller sees it: which document, where, when, how similar."""

    id: str
    dataset: str
    path: str
    source: str
    date: str | None
    similarity: float
    title: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "dataset": self.dataset, "path": self.path,
                "source": self.source, "date": self.date,
                "similarity": round(self.similarity, 3)}


@dataclass
class ClusterSummary:
    """A cluster counted as the caller sees it."""

    id: int | None
    dataset: str
    size: int                   # copies (paths) the caller may read, this one included
    sources: int                # distinct (dataset, top folder) of those copies
    first_date: str | None
    title: str | None = None
    path: str | None = None     # its first copy

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "dataset": self.dataset, "size": self.size,
                "sources": self.sources, "first_date": self.first_date, "title": self.title,
                "path": self.path}


@dataclass
class Similar:
    """`trawl similar` / `GET /api/documents/{id}/similar`."""

    document: str
    cluster: ClusterSummary
    near_duplicates: list[NearCopy]
    also_in: int                # sources other than this copy's own
    inside: list[dict[str, Any]] = field(default_factory=list)  # page matches
    similar: list[dict[str, Any]] = field(default_factory=list)  # "more like this"

    def as_json(self) -> dict[str, Any]:
        c = self.cluster
        return {"document": self.document,
                "cluster": {"id": c.id, "size": c.size, "sources": c.sources},
                "also_in": self.also_in,
                "near_duplicates": [n.as_json() for n in self.near_duplicates],
                "pages": self.inside, "similar": self.similar}


@dataclass
class SourcePair:
    """What source `a` got that source `b` had: the clusters in both, by b's date."""

    dataset: str
    a: str
    b: str
    shared: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "a": self.a, "b": self.b, "shared": self.shared}


def day(mtime: float | None, fallback: str | None = None) -> str | None:
    """A copy's date: the day its file was written (when the portal had it), else the
    document's own date."""
    if mtime:
        return datetime.fromtimestamp(mtime, UTC).date().isoformat()
    return fallback[:10] if fallback else None


class NearDupReader:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.store = NearDupStore(archive.catalog)
        self._readable: dict[int, Dataset] | None = None

    # -- one document ---------------------------------------------------------------------------
    def similar(self, id_or_path: str, dataset: str | None = None) -> Similar:
        view = self.archive.find(id_or_path, dataset)
        if not view.id:
            raise NotFound(f"no document {id_or_path!r}")
        return self.of_view(view)

    def of_view(self, view: DocumentView) -> Similar:
        """The near-copies of a document the caller may read (a `find` result)."""
        cluster_id = self.store.cluster_of(view.id)
        ids = set(self.store.members(cluster_id)) if cluster_id is not None else {view.id}
        ids |= self._in_other_datasets(view)
        signatures = self.store.signatures(sorted(ids))
        mine = signatures.get(view.id)
        own_path = view.via.path if view.via is not None else \
            (view.files[0].path if view.files else "")
        copies = [self._near_copy(c, mine, signatures) for c in self.store.copies(sorted(ids))
                  if not (c.document_id == view.id and c.path == own_path)]
        own = (view.dataset.name, view.mask(own_path).partition("/")[0]
               if "/" in own_path else "")
        sources = {(c.dataset, c.source) for c in copies}
        first = min((c.date for c in copies if c.date), default=None)
        summary = ClusterSummary(cluster_id, view.dataset.name, len(copies) + 1,
                                 len(sources | {own}), first)
        return Similar(view.id, summary, copies, len(sources - {own}),
                       inside=self._pages(view), similar=self.more_like(view, sorted(ids)))

    def more_like(self, view: DocumentView, exclude: list[str], limit: int = MORE_LIKE
                  ) -> list[dict[str, Any]]:
        """"More like this": the documents closest by their words (not near-copies: those
        are listed apart), best first, in the datasets the caller reads. No score: it
        carries the index's statistics of every dataset (the search API gives scores to
        admins only)."""
        try:
            text_hits = self.archive.more_like(view, exclude, limit)
        except OSError:  # the text blob is missing: nothing to compare
            return []
        return [{"id": h.id, "dataset": h.dataset, "path": h.path, "title": h.title or None,
                 "date": h.date.date().isoformat() if h.date else None} for h in text_hits]

    def _in_other_datasets(self, view: DocumentView) -> set[str]:
        """The document's near-copies in the other datasets the caller reads, with their
        clusters' members."""
        keys = self.store.band_keys(view.id)
        others = [ds_id for ds_id in self.readable() if ds_id != view.dataset.id]
        if not keys or not others:
            return set()
        mine = self.store.signatures([view.id]).get(view.id)
        if mine is None:
            return set()
        threshold = self._threshold(view.dataset)
        found: set[str] = set()
        for candidate in self.store.candidates(sorted(others), keys, view.id):
            if candidate.page == 0 and similarity(
                    Signature.from_bytes(mine),
                    Signature.from_bytes(candidate.signature)) >= threshold:
                cluster_id = self.store.cluster_of(candidate.document_id)
                found |= set(self.store.members(cluster_id)) if cluster_id is not None \
                    else {candidate.document_id}
        return found

    def _threshold(self, dataset: Dataset) -> float:
        setting = self.archive.catalog.dataset_settings(dataset.id).get(THRESHOLD_SETTING)
        return float(setting) if setting else DEFAULT_THRESHOLD

    def _near_copy(self, c: Copy, mine: bytes | None, signatures: dict[str, bytes]
                   ) -> NearCopy:
        ds = self.readable()[c.dataset_id]  # copies are of readable datasets only
        mask = self.archive.masker(ds)
        other = signatures.get(c.document_id)
        sim = similarity(Signature.from_bytes(mine), Signature.from_bytes(other)) \
            if mine is not None and other is not None else 1.0
        path = mask(c.path)
        return NearCopy(c.document_id, ds.name, path, path.partition("/")[0]
                        if "/" in path else "", day(c.mtime, c.doc_date), sim,
                        mask(c.title) if c.title else None)

    def readable(self) -> dict[int, Dataset]:
        """The datasets the caller reads, by id."""
        if self._readable is None:
            self._readable = {ds.id: ds for ds in self.archive.datasets()}
        return self._readable

    def _pages(self, view: DocumentView) -> list[dict[str, Any]]:
        """Pages this document shares with others of its dataset that are not near-copies
        as wholes (a bulletin inside a bigger PDF): page 0 is the whole document."""
        out = []
        for page, other, other_page, sim in self.store.page_pairs(view.id):
            copies = self.store.copies([other])
            if not copies:
                continue
            mask = self.archive.masker(view.dataset)
            out.append({"page": page, "id": other, "path": mask(copies[0].path),
                        "other_page": other_page, "similarity": round(sim, 3)})
        return out

    def hit_clusters(self, document_ids: Iterable[str]) -> dict[str, Cluster]:
        """The clusters of search hits (documents the caller was given by a scoped search:
        their datasets are readable, so the stage's counts of their dataset are theirs)."""
        return self.store.clusters_of(list(document_ids))

    # -- clusters of a dataset ------------------------------------------------------------------
    def clusters(self, dataset: str, min_sources: int = 0, limit: int = 50,
                 offset: int = 0) -> list[ClusterSummary]:
        """The largest clusters of a dataset (in most sources first), each with its first
        copy. The caller reads the dataset whole (or redacted), so the stage's counts are
        theirs."""
        ds = self.archive.dataset(dataset)
        limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, min(offset, MAX_OFFSET))
        return [self._summary(ds, c) for c in self.store.clusters(ds.id, min_sources, limit,
                                                                 offset)]

    def _summary(self, ds: Dataset, cluster: Cluster) -> ClusterSummary:
        copies = self.store.copies(self.store.members(cluster.id))
        mask = self.archive.masker(ds)
        first = copies[0] if copies else None
        return ClusterSummary(cluster.id, ds.name, cluster.copies, cluster.sources,
                              day(cluster.first_seen),
                              mask(first.title) if first and first.title else None,
                              mask(first.path) if first else None)

    def cluster(self, dataset: str, cluster_id: int) -> tuple[ClusterSummary, list[NearCopy]]:
        """One cluster: every copy by date, each with its similarity to the first one."""
        ds = self.archive.dataset(dataset)
        cluster = self.store.cluster(cluster_id)
        if cluster is None or cluster.dataset_id != ds.id:
            raise NotFound(f"no cluster {cluster_id} in dataset {dataset!r}")
        members = self.store.members(cluster_id)
        copies = self.store.copies(members)
        signatures = self.store.signatures(members)
        first = signatures.get(copies[0].document_id) if copies else None
        return self._summary(ds, cluster), [self._near_copy(c, first, signatures)
                                            for c in copies]

    def source_pair(self, dataset: str, a: str, b: str, limit: int = 200) -> SourcePair:
        """The clusters source `a` has that source `b` had before (or the same day), by
        b's date: what a got from b."""
        ds = self.archive.dataset(dataset)
        mask = self.archive.masker(ds)
        shared = []
        for cluster_id, in_a, in_b in self.store.shared_between(ds.id, a, b, MAX_LIMIT * 5):
            if in_a is not None and in_b is not None and in_b > in_a:
                continue  # a had it first: what b got from a
            summary = self._summary(ds, self.store.cluster(cluster_id) or Cluster(
                cluster_id, ds.id, 0, 0, 0, None))
            shared.append({"cluster": cluster_id, "title": summary.title,
                           "path": summary.path, "b_date": day(in_b), "a_date": day(in_a),
                           "size": summary.size, "sources": summary.sources})
            if len(shared) >= limit:
                break
        return SourcePair(ds.name, mask(a), mask(b), shared)


# -- export ------------------------------------------------------------------------------------
CLUSTER_COLUMNS = ("id", "dataset", "size", "sources", "first_date", "title", "path")
COPY_COLUMNS = ("id", "dataset", "path", "source", "date", "similarity")


def to_csv(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """Rows as CSV, every cell through the one escape (trawl/csv_cells.py)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return out.getvalue()


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
