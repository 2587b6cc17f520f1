"""Derived data: builders of what the index and the redacted view hold, from what storage holds.

Imports storage, index and access; never ingestion, search, web or cli. Ingestion calls it
after each batch, the CLI to rebuild (`trawl reindex`) or publish, the web through a
background job (jobs.py). Everything it writes can be rebuilt from the catalog and the blobs.
"""
