"""Entities: who and what a dataset's documents and table rows mention.

By pattern: e-mail addresses, phone numbers, URLs and their domains, IP addresses,
social-media accounts (`patterns.Recogniser`), each normalised to a key so that every
spelling of one is one entity (model.py). By a model: people, organisations and places in
English and French documents (`ner.NamedRecogniser`, spaCy's packaged small pipelines),
keyed conservatively (`names.py`). `extract.py` places the mentions of a document (its
pages, title and address headers) or of a block of table rows (their cells, read through
storage); `columns.py` says which BlueLeaks columns hold which kind (names included:
`FullName`, `FirstName`+`LastName`, `AgencyOrganization`). The ingestion stage
(ingestion/entity_stage.py) runs them in the worker pool and records the mentions in the
catalog (storage/entities.py). The web pages, the API, facets, cross-referencing and the
FollowTheMoney export build on these records.
"""
