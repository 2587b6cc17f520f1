"""Trawl: turn a huge, messy dump of documents into a searchable, browsable archive.

Layers, each depending only on those below it:
ingestion (walk, detect, extract) -> storage (catalog, blobs) -> index -> search -> web and cli.
"""

__version__ = "0.1.0"
