"""The main job for 30 minutes at 1,000 transactions/s: `python -m fraud_detection demo` on the
default world, the auto-refresh loop cycling every INTERVAL seconds (back to back when a cycle
takes longer). Freshness is from the transaction (stamped as the producer hands it to the
publisher) to its alert's delivery, p50 and p95 over the alerts of the first and of the last
WINDOW seconds of the stream; target: the last p95 under 3 s and at most 1.2 times the first.
Records lost and duplicated, from the producer's labels (every record it had accepted) against
what was ingested (stg_kinesis__transactions), scored (the predictions) and alerted (each
predicted fraud once in alerts.jsonl); target 0 and 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench import results
from fraud_detection.demo.report import read_alerts, read_labels
from fraud_detection.testing.dbt import PROJECT_DIR, base_env
from fraud_detection.testing.ports import free_port

RATE = 1_000
SECONDS = 1_800
INTERVAL = 1
WINDOW = 300


def freshness(alerts: pd.DataFrame) -> dict[str, float]:
    latency = (alerts["alerted_at"] - alerts["tx_datetime"]).dt.total_seconds()
    return {"p50_s": round(latency.quantile(0.5), 3), "p95_s": round(latency.quantile(0.95), 3)}


def accounting(database: Path, labels: pd.DataFrame, alerts: pd.DataFrame) -> dict[str, int]:
    """Lost and duplicated records at each step, for the transactions the producer labelled."""
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.register("labels", labels[["transaction_id"]])
        connection.register("alerted", alerts[["transaction_id"]].astype("int64"))
        [row] = connection.execute("""
            with
            ingested as (
                select transaction_id from stg_kinesis__transactions
                where transaction_id in (select transaction_id from labels)
            ),
            scored as (
                select transaction_id, fraud_prediction from cust_payment_tx_fraud_predictions
                where transaction_id in (select transaction_id from labels)
            ),
            predicted as (select transaction_id from scored where fraud_prediction = 1)
            select
                (select count(*) from labels where transaction_id not in (
                    select transaction_id from ingested)),
                (select count(*) - count(distinct transaction_id) from ingested),
                (select count(*) from labels where transaction_id not in (
                    select transaction_id from scored)),
                (select count(*) - count(distinct transaction_id) from scored),
                (select count(*) from predicted where transaction_id not in (
                    select transaction_id from alerted)),
                (select count(*) - count(distinct transaction_id) from alerted)
        """).fetchall()
    names = (
        "lost_ingesting", "duplicated_ingesting", "lost_scoring", "duplicated_scoring",
        "lost_alerting", "duplicated_alerting",
    )  # fmt: skip
    return dict(zip(names, (int(value) for value in row), strict=True))


def cycle_p50s(cycles: list[float]) -> dict[str, float]:
    """The cycles' median over the first and the last WINDOW seconds of the loop (a cycle
    starts INTERVAL seconds after the last one started, or when it ended if later)."""
    starts = np.cumsum([0.0, *(max(seconds, INTERVAL) for seconds in cycles[:-1])])
    cycles_array = np.asarray(cycles)
    first = cycles_array[starts < WINDOW]
    last = cycles_array[starts >= starts[-1] - WINDOW]
    return {
        "refresh_cycle_first_5min_p50_s": round(float(np.median(first)), 3),
        "refresh_cycle_last_5min_p50_s": round(float(np.median(last)), 3),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = base_env(work)
        database = work / "fraud_detection.duckdb"
        env["FRAUD_DUCKDB_PATH"] = str(database)
        env["FRAUD_MODELS_DIR"] = str(work / "models")
        out = work / "reports"
        done = subprocess.run(
            [
                sys.executable, "-m", "fraud_detection", "demo",
                "--rate", str(RATE), "--duration", str(SECONDS),
                "--interval", str(INTERVAL), "--out", str(out),
                "--data-dir", str(work / "data"), "--port", str(free_port()),
                "--kinesis-dir", str(work / "kinesis"),
            ],
            env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"the demo failed: {done.stderr[-2000:]}")
        summary = json.loads((out / "summary.json").read_text())
        labels = read_labels(out / "live_labels.csv")
        alerts = read_alerts(out / "alerts.jsonl")
        alerts = alerts[alerts["transaction_id"].isin(labels["transaction_id"])]
        counts = accounting(database, labels, alerts)
    began = alerts["tx_datetime"].min()
    ended = alerts["tx_datetime"].max()
    first = freshness(alerts[alerts["tx_datetime"] < began + pd.Timedelta(seconds=WINDOW)])
    last = freshness(alerts[alerts["tx_datetime"] >= ended - pd.Timedelta(seconds=WINDOW)])
    figures = {
        "freshness_first_5min_p50_s": first["p50_s"],
        "freshness_first_5min_p95_s": first["p95_s"],
        "freshness_last_5min_p50_s": last["p50_s"],
        "freshness_last_5min_p95_s": last["p95_s"],
        "freshness_last_over_first_p95": round(last["p95_s"] / first["p95_s"], 3),
        "records_published": len(labels),
        "records_lost": counts["lost_ingesting"] + counts["lost_scoring"] + counts["lost_alerting"],
        "records_duplicated": counts["duplicated_ingesting"]
        + counts["duplicated_scoring"]
        + counts["duplicated_alerting"],
        **counts,
        "alerts": len(alerts),
        "refresh_cycles": summary["refresh_cycles"],
        "refresh_cycle_p50_s": summary["refresh_cycle_p50_s"],
        **cycle_p50s(summary["refresh_cycle_seconds"]),
        "rate_per_s": RATE,
        "seconds": SECONDS,
        "interval_s": INTERVAL,
    }
    results.write("soak", figures, {})


if __name__ == "__main__":
    main()
