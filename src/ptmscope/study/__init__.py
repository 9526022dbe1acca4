"""``ptmscope study``: registry-wide measurement (ingest, then report), reproducing the ICSE 2023 figures."""
