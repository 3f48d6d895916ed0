"""Corrections that come back as data: users correct a line's text; the service keeps it for training.

| module | what it holds |
|---|---|
| `store.py` | a correction checked and stored: crop, reading, correction, model, time (files + SQLite, or S3) |
| `export.py` | stored corrections -> a labelled line set (`labels.tsv`, the real-handwriting evaluation's format) |
"""
