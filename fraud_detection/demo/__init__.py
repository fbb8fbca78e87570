"""`make demo`: the main job end to end (run.py), then its summary and report (report.py)."""
