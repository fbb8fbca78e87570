"""features_seconds: building the training set (int_training_features) for the default world
(5,000 customers, 10,000 terminals, 183 days, about 1.77M transactions) into DuckDB, as dbt
times the model; features_reference_seconds: the Handbook's pandas code on the same history,
in the same run. score_input_seconds: int_scoring_features for 10,000 new stream transactions
on top of that full history, after customer_totals_seconds (int_customer_totals taking them,
as each refresh cycle runs it first). Targets: 20x faster than the reference and under 15 s;
scoring under 2 s."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench import results
from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import fresh_streams
from fraud_detection.testing.reference_features import reference_features
from producer.cli import main as producer
from producer.kinesis import make_client
from producer.local_kinesis import LocalKinesis

RUNS = 3
STREAM = "bench-features"
NEW_TRANSACTIONS = 10_000


def model_seconds(dbt: LocalDbt, model: str, vars: str) -> float:
    result = dbt.run("run", "-s", model, vars=vars)
    assert result.returncode == 0, result.output[-2000:]
    return dbt.last_model_seconds()


def main() -> None:
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=183)).date().isoformat()
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalKinesis(port=4597, data_dir=Path(folder) / "kinesis") as server,
    ):
        world = Path(folder) / "world"
        assert producer(["generate", "--start-date", start, "--out", str(world)]) == 0
        history = world / "cust_payment_tx_history.parquet"
        vars = f"history_path: '{history}'"
        dbt = LocalDbt(Path(folder) / "dbt", server.endpoint_url, STREAM, artifacts=True)
        fresh_streams(make_client(server.endpoint_url), STREAM)
        # The training set's parents: the history and the (empty) stream's labelled view.
        parents = ["customer_info", "+int_labelled_transactions"]
        built = dbt.run("build", "-s", *parents, "--indirect-selection", "cautious", vars=vars)
        assert built.returncode == 0, built.output[-2000:]

        features = [model_seconds(dbt, "int_training_features", vars) for _ in range(RUNS)]
        frame = pd.read_parquet(history)
        reference = []
        for _ in range(RUNS):
            started = time.perf_counter()
            reference_features(frame)
            reference.append(time.perf_counter() - started)

        totals, scoring = [], []
        for _ in range(RUNS):
            assert (
                producer(
                    [
                        "stream",
                        "--stream",
                        STREAM,
                        "--endpoint-url",
                        server.endpoint_url,
                        "--start-date",
                        start,
                        "--rate",
                        "50000",
                        "--count",
                        str(NEW_TRANSACTIONS),
                        "--labels-out",
                        str(Path(folder) / "labels.csv"),
                    ]
                )
                == 0
            )
            refreshed = dbt.run(
                "run",
                "-s",
                "cust_payment_tx_stream",
                "stg_kinesis__stream_records",
                "stg_kinesis__transactions",
                vars=vars,
            )
            assert refreshed.returncode == 0, refreshed.output[-2000:]
            totals.append(model_seconds(dbt, "int_customer_totals", vars))
            scoring.append(model_seconds(dbt, "int_scoring_features", vars))
        assert dbt.scalar("select count(*) from int_scoring_features") == RUNS * NEW_TRANSACTIONS

    features_median, reference_median = results.median(features), results.median(reference)
    results.write(
        "features",
        {
            "features_seconds": round(features_median, 2),
            "features_reference_seconds": round(reference_median, 2),
            "features_speedup": round(reference_median / features_median, 1),
            "score_input_seconds": round(results.median(scoring), 3),
            "customer_totals_seconds": round(results.median(totals), 3),
            "history_transactions": len(frame),
            "scored_transactions_per_run": NEW_TRANSACTIONS,
            "target_speedup": 20,
            "target_features_seconds": 15,
            "target_score_input_seconds": 2,
        },
        {
            "features_seconds": [round(x, 2) for x in features],
            "features_reference_seconds": [round(x, 2) for x in reference],
            "score_input_seconds": [round(x, 3) for x in scoring],
            "customer_totals_seconds": [round(x, 3) for x in totals],
        },
    )


if __name__ == "__main__":
    main()
