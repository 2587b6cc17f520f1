"""Entities: who and what a dataset's documents and table rows mention.

Step 1 finds them by pattern: e-mail addresses, phone numbers, URLs and their domains, IP
addresses, social-media accounts (`patterns.Recogniser`), each normalised to a key so that
every spelling of one is one entity (model.py). `extract.py` places the mentions of a
document (its pages, title and address headers) or of a block of table rows (their cells,
read through storage); `columns.py` says which BlueLeaks columns hold which kind. The
ingestion stage (ingestion/entity_stage.py) runs them in the worker pool and records the
mentions in the catalog (storage/entities.py). Named entities from a model, the web pages,
the API, facets, cross-referencing and the FollowTheMoney export build on these records.
"""
