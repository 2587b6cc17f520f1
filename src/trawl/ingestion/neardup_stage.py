"""The near-duplicate stage: each document's MinHash signature (and its pages'), its
candidates by LSH band, the pairs at or above the threshold, and the clusters they make
(storage/neardup.py).

Runs at the end of `trawl ingest` and `trawl ocr`, after the entity stage (the texts are
final: an OCR'd scan finds its PDF), and alone as `trawl neardup` (the same code) after an
ingest with ``--no-neardup``.

* In the coordinator, not the worker pool: shingling and signing cost a few microseconds a
  word (rensa signs a text in ~10 µs), about what reading the text back from the blob store
  costs, and the candidates are looked up in the catalog the coordinator writes anyway, so
  workers would only add round trips (BENCHMARKS.md, Near-duplicates: the stage costs a
  small fraction of the ingestion of the same corpus).
* Resumable and incremental, as the entity stage is: a document is pending until its record
  says which version (MinHash parameters and threshold) read which text; its bands, pairs
  and record are written in one transaction, committed every `COMMIT_EVERY_S` seconds or
  `COMMIT_EVERY_ITEMS` documents, so a killed run redoes only what it had not committed. A
  document that no path holds any more loses its pairs; one whose text changed is read
  again, its old pairs gone first.
* A new document joins its cluster incrementally: its band keys find its candidates (an
  index lookup each), each is verified on the whole signature, and only the clusters the
  run touched are made again (`NearDupStore.recluster`). Pairs are symmetric (whichever of
  two documents comes second finds the first), so the clusters do not depend on the order
  documents arrive in: an incremental run ends where a run over everything would.
* The cluster model: connected components of the pairs at or above the threshold (0.8 by
  default, `--neardup-threshold`, remembered per dataset). A representative-based model
  (join the cluster whose first document is similar enough) depends on the order of
  arrival and splits a bulletin's variants that are each 0.8 from the original but not
  from each other (two re-datings, two rewritten paragraphs): the generator's ground truth
  counts those as one bulletin. Components can chain (A~B, B~C, A and C apart); at 0.8
  chaining between different documents is rare, and each copy shows its own similarity
  to the document it is listed for.
* Pages: a document of several pages also signs each page; a page matching another
  document (whole or page) that is not a near-copy as a whole is recorded as a page pair:
  a bulletin inside a bigger PDF. A page with more than `MAX_PAGE_CANDIDATES` candidates is
  boilerplate (a disclaimer page in every bulletin) and pairs with none.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from trawl.derive.neardup import (
    BANDS,
    DEFAULT_THRESHOLD,
    NUM_PERM,
    VERSION,
    Signature,
    band_keys,
    check_threshold,
    signatures,
    similarity,
)
from trawl.ingestion.progress import Checkpoints, Counters, Progress
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Dataset
from trawl.storage.neardup import THRESHOLD_SETTING, Candidate, NearDupStore

log = logging.getLogger(__name__)

COMMIT_EVERY_S = 2.0
COMMIT_EVERY_ITEMS = 250
MAX_PAGE_CANDIDATES = 50
CLUSTERED_SETTING = "neardup_clustered_at"  # when the clusters' counts were last made


@dataclass
class NearDupSummary:
    documents: int = 0          # documents read in this run
    signed: int = 0             # of which with enough text for a signature
    pairs: int = 0              # pairs at or above the threshold found
    page_pairs: int = 0
    forgotten: int = 0          # documents gone since the last run
    clusters: int = 0           # of the dataset, after the run
    changed: int = 0            # documents whose cluster changed (their entries are rewritten)
    reindexed: int = 0          # index entries written again with their cluster
    failed: int = 0
    words: int = 0
    seconds: float = 0.0


def threshold_of(catalog: Catalog, dataset: Dataset, option: float | None) -> float:
    """The dataset's threshold: `option` when given (checked, and stored for later runs),
    else the one stored, else 0.8."""
    if option is not None:
        catalog.set_dataset_setting(dataset.id, THRESHOLD_SETTING, repr(check_threshold(option)))
        catalog.commit()
    return float(catalog.dataset_settings(dataset.id).get(THRESHOLD_SETTING, DEFAULT_THRESHOLD))


def version_id(threshold: float) -> str:
    """What a record says read it: the version, the MinHash parameters, the threshold."""
    return f"minhash-{VERSION}:{NUM_PERM}x{BANDS}:{threshold}"


class NearDupStage:
    def __init__(self, catalog: Catalog, blobs: BlobStore, dataset: Dataset, threshold: float,
                 live_progress: bool | None = None, quiet: bool = False) -> None:
        self.catalog = catalog
        self.blobs = blobs
        self.dataset = dataset
        self.threshold = threshold
        self.version = version_id(threshold)
        self.live_progress = live_progress
        self.quiet = quiet
        self.store = NearDupStore(catalog)
        self.counters = Counters()
        self.summary = NearDupSummary()

    def run(self) -> NearDupSummary:
        started, started_at = time.monotonic(), time.time()
        touched: set[str] = set()
        for doc_id in self.store.gone_documents(self.dataset.id):
            touched |= {doc_id, *self.store.forget(doc_id)}
            self.summary.forgotten += 1
        pending = self.store.pending_documents(self.dataset.id, self.version)
        if pending:
            self.counters.total = len(pending)
            with Progress(f"near-duplicates {self.dataset.name}", self.live_progress,
                          self.quiet, unit="documents") as progress:
                checkpoints = Checkpoints(COMMIT_EVERY_S, COMMIT_EVERY_ITEMS)
                for doc_id, sha256, _chars in pending:
                    touched |= self._read(doc_id, sha256)
                    self.counters.done += 1
                    if checkpoints.due(self.counters.done):
                        self.catalog.commit()
                        progress.update(self.counters)
                progress.update(self.counters, force=True)
        self.summary.clusters = self._clustered(started_at, touched)
        self.catalog.commit()
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _clustered(self, started_at: float, touched: set[str]) -> int:
        """The clusters the run touched made again, and every cluster's counts when the run
        read something or a path of the dataset changed since they were last made."""
        since = float(self.catalog.dataset_settings(self.dataset.id).get(CLUSTERED_SETTING, 0))
        if not touched and not self.catalog.has_files_updated_since(self.dataset.id, "", since):
            return self.store.count(self.dataset.id)
        before = self.store.cluster_ids(self.dataset.id)
        if touched:
            self.store.recluster(self.dataset.id, touched)
        count = self.store.refresh(self.dataset.id)
        after = self.store.cluster_ids(self.dataset.id)
        # Search entries carry their cluster (collapsing): those whose cluster changed are
        # marked unindexed in the same transaction, and written again after the stage.
        changed = sorted(d for d in before.keys() | after.keys() if before.get(d) != after.get(d))
        self.catalog.mark_unindexed(changed)
        self.summary.changed = len(changed)
        self.catalog.set_dataset_setting(self.dataset.id, CLUSTERED_SETTING, repr(started_at))
        return count

    def _read(self, doc_id: str, sha256: str) -> set[str]:
        """Sign one document, find and verify its candidates, record it all. Returns the
        documents whose clusters may have changed (itself, old and new partners)."""
        touched = {doc_id, *self.store.forget(doc_id)}
        content = self.catalog.content(sha256)
        text_key = content.text_key if content is not None else None
        try:
            text = self.blobs.get_text(text_key) if text_key else ""
        except OSError as exc:  # a missing blob: recorded without a signature, read again
            log.warning("near-duplicates of %s not read: %s", doc_id, exc)
            self.summary.failed += 1
            self.counters.failed += 1
            return touched
        signed = signatures(text)
        self.summary.documents += 1
        bands: list[tuple[int, int]] = []
        paired: set[str] = set()
        if signed.whole is not None:
            self.summary.signed += 1
            self.summary.words += signed.whole.shingles
            keys = band_keys(signed.whole)
            bands += [(0, key) for key in keys]
            paired = self._whole_pairs(doc_id, signed.whole, keys)
        for page, sig in signed.pages:
            page_keys = band_keys(sig)
            bands += [(page, key) for key in page_keys]
            self._page_pairs((doc_id, page), sig, self.store.candidates(
                [self.dataset.id], page_keys, doc_id), paired)
        self.store.record(self.dataset.id, doc_id, self.version, text_key,
                          signed.whole.shingles if signed.whole else 0,
                          signed.whole.to_bytes() if signed.whole else None,
                          [(page, sig.to_bytes()) for page, sig in signed.pages], bands)
        return touched | paired

    def _whole_pairs(self, doc_id: str, whole: Signature, keys: list[int]) -> set[str]:
        """The documents near-copies of this one as wholes (recorded as pairs); its whole
        text found as a page of another is a page pair."""
        paired: set[str] = set()
        candidates = self.store.candidates([self.dataset.id], keys, doc_id)
        for candidate in candidates:
            if candidate.page != 0:
                continue
            sim = similarity(whole, Signature.from_bytes(candidate.signature))
            if sim >= self.threshold:
                self.store.add_pair(self.dataset.id, doc_id, candidate.document_id, sim)
                paired.add(candidate.document_id)
                self.summary.pairs += 1
        self._page_pairs((doc_id, 0), whole, [c for c in candidates if c.page != 0], paired)
        return paired

    def _page_pairs(self, mine: tuple[str, int], sig: Signature, candidates: list[Candidate],
                    paired: set[str]) -> None:
        """Page pairs of one signature of this document (whole or a page) with the
        candidates of documents that are not its near-copies as wholes."""
        candidates = [c for c in candidates if c.document_id not in paired]
        if len(candidates) > MAX_PAGE_CANDIDATES:
            return  # boilerplate: a page found everywhere
        for candidate in candidates:
            sim = similarity(sig, Signature.from_bytes(candidate.signature))
            if sim >= self.threshold:
                self.store.add_page_pair(self.dataset.id, mine,
                                         (candidate.document_id, candidate.page), sim)
                self.summary.page_pairs += 1
