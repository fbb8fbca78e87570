"""freshness_p50_s / freshness_p95_s: the main job (`python -m fraud_detection demo`) on the default
world, streaming 500 transactions/s for 60 s while the auto-refresh loop refreshes, scores
and alerts every 2 s; latency from the transaction (stamped as the producer hands it to the
publisher) to the alert's delivery. live_precision / live_recall: the stream's predictions
against the producer's labels, beside the model's own precision / recall on its test period
(the labelled history after its training window and the label delay), measured in the same
run. RUNS demos into one fresh folder: the first trains the model, the next reuse it.
Figures are medians over the runs. Target: p95 under 5 s; live figures close to the test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import results
from fraud_detection.testing.dbt import PROJECT_DIR, base_env
from fraud_detection.testing.ports import free_port

RUNS = 3
RATE = 500
SECONDS = 60
INTERVAL = 2

FIGURES = (
    "freshness_p50_s",
    "freshness_p95_s",
    "freshness_max_s",
    "live_precision",
    "live_recall",
    "test_precision",
    "test_recall",
    "refresh_cycle_p50_s",
)


def main() -> None:
    runs: dict[str, list[float]] = {name: [] for name in FIGURES}
    with tempfile.TemporaryDirectory() as folder:
        env = base_env(Path(folder))
        env["FRAUD_DUCKDB_PATH"] = str(Path(folder) / "fraud_detection.duckdb")
        env["FRAUD_MODELS_DIR"] = str(Path(folder) / "models")
        # One port for every run: the local streaming view's definition includes its endpoint.
        port = free_port()
        for _ in range(RUNS):
            out = Path(folder) / "reports"
            done = subprocess.run(
                [
                    sys.executable, "-m", "fraud_detection", "demo",
                    "--rate", str(RATE), "--duration", str(SECONDS),
                    "--interval", str(INTERVAL), "--out", str(out),
                    "--data-dir", str(Path(folder) / "data"), "--port", str(port),
                    "--kinesis-dir", str(Path(folder) / "kinesis"),
                ],
                env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
            )  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(f"the demo failed: {done.stderr[-2000:]}")
            summary = json.loads((out / "summary.json").read_text())
            for name in FIGURES:
                runs[name].append(summary[name])
    figures = {name: round(results.median(values), 4) for name, values in runs.items()}
    figures.update(rate_per_s=RATE, seconds=SECONDS, interval_s=INTERVAL, runs=RUNS)
    results.write("freshness", figures, runs)


if __name__ == "__main__":
    main()
