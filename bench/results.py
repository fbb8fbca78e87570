"""Writing a benchmark's figures: one JSON file per benchmark, with the machine it ran on."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def write(name: str, figures: dict, runs: dict[str, list[float]]) -> Path:
    """Save ``figures`` (the headline numbers) and ``runs`` (every measurement) as JSON."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {
        "benchmark": name,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "figures": figures,
        "runs": runs,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps({name: figures}))
    return path
