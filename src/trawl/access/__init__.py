"""Who may read what: accounts, grants, per-dataset visibility, redaction and the audit log.

Sits above storage (it reads the catalog's datasets) and below search and web, which ask it
for a caller's `ReadScope` and hand only that scope to the index and the stores.
"""
