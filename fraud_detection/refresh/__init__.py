"""The refresh loop (loop.py), the local counterpart of AUTO REFRESH, and the in-process dbt
session it runs (dbt_session.py)."""
