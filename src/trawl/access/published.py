"""Where a dataset's redaction state lives: two keys of the catalog's dataset settings.

`redaction` holds the dataset's rules (RedactionRules as JSON; absent: the defaults) and
`redacted_view` the fingerprint of the rules its redacted view was last built with
(derive/redacted_view.py builds it), so a view built with older rules is known to be stale.
"""

from __future__ import annotations

from trawl.access.redaction import RedactionRules
from trawl.storage.catalog import Catalog, Dataset

REDACTION_SETTING = "redaction"
VIEW_SETTING = "redacted_view"


def redaction_rules(catalog: Catalog, dataset: Dataset) -> RedactionRules:
    return RedactionRules.from_json(catalog.dataset_settings(dataset.id).get(REDACTION_SETTING))


def view_is_current(catalog: Catalog, dataset: Dataset) -> bool:
    built = catalog.dataset_settings(dataset.id).get(VIEW_SETTING)
    return built == redaction_rules(catalog, dataset).fingerprint()
