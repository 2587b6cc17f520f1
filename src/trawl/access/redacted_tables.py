"""The redacted copy of `tables.sqlite` that public readers are given.

`build_redacted_tables` has `<data-dir>/tables-redacted.sqlite` written (by
storage/redacted_tables.py, which holds its SQL): the public datasets' tables only, every
cell through their dataset's `Redactor`, in a file that `TableStore` and `search/tables.py`'s
`TableReader` read exactly as they read the original. What this module decides is what is
masked: a column is personal by its header's name or its SQL name, free text goes through
the redactor's detectors, the cells past a header are masked one by one. The copy holds:

* the same registry ids (``/tables/<id>`` addresses and the index's row entries use them),
  the same SQL names, each rows table created by the original's own ``CREATE TABLE``
  statement and given the original's own ``CREATE INDEX`` statements (same types, same
  indexed columns: a big table stays fast to sort and filter);
* cells: a personal column's are masked whole, other text goes through the detectors (in
  SQLite, one `INSERT ... SELECT` per table calling the redactor as an SQL function), numbers
  stay; the ``_extra`` cells past a header have no name and go through the detectors;
* what the registry says about columns is recomputed from the redacted rows (distinct
  counts, facet values and their counts), never copied: a facet of first names would
  otherwise show them to a public reader;
* ``trawl_links`` stay (they lead rows to documents), their cell text masked as the cell is;
  ``trawl_joins`` on a personal column are dropped (joining on a masked value would join
  every row with every row);
* ``trawl_redaction`` records, per dataset, the fingerprint of the rules it was built with
  (`storage.redacted_tables.built_fingerprints`): when rules or tables change, the file is
  built again.

Why a copy rather than masking on read: every read path (pages, filters, sorting, facets,
exports, joins, the row index) then sees only masked values, with no code path to forget;
and filtering on a masked value finds nothing, as a public reader must not find a row by a
redacted value. The file is replaced in one rename: a reader sees the old one or the new one.
"""

from __future__ import annotations

from pathlib import Path

from trawl.access.redaction import MASK, RedactionRules, Redactor, redactor_for
from trawl.storage.redacted_tables import Masking, write_redacted_tables
from trawl.storage.tables import Column


def build_redacted_tables(source: Path, target: Path,
                          rules_by_dataset: dict[str, RedactionRules]) -> dict[str, int]:
    """Write the redacted copy of `source` (tables.sqlite) for the datasets named in
    `rules_by_dataset` to `target`, atomically; returns the rows written per dataset."""
    return write_redacted_tables(source, target, {
        dataset: _masking_of(rules) for dataset, rules in rules_by_dataset.items()})


def _masking_of(rules: RedactionRules) -> Masking:
    """What the copy masks for one dataset's rules."""
    redactor = redactor_for(rules)
    return Masking(fingerprint=rules.fingerprint(), mask=MASK,
                   is_personal=lambda column: _is_personal(redactor, column),
                   text=redactor.text, cells=redactor.metadata)


def _is_personal(redactor: Redactor, column: Column) -> bool:
    """A column masked whole: its header's text or its SQL name says it holds people."""
    return redactor.is_personal_column(column.name) or redactor.is_personal_column(column.sql)
