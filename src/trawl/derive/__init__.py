"""Derived data: builders of what the index and the redacted view hold, from what storage
holds. Imports storage, index and access; never ingestion, search, web or cli."""
