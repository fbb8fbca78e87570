"""The fraud model on the Fraud Detection Handbook's protocol, beside the Handbook's baselines
re-run on the same split in the same run (fraud_detection.learner.protocol).

The default world (183 days from 2018-04-01) is built with dbt. The split is the Handbook's:
train 2018-07-25 to 07-31, a 7-day label delay, test 2018-08-08 to 08-14, the test set less
the customers known compromised before each test day. Each model, cust_cc_txn_fd (the 15
inputs) and cust_cc_txn_fd_plus (the 15 and the extra inputs of the var fraud_model_plus),
is trained by dbt twice, on the 7 training days and on all labelled history before the delay
(2018-04-01 to 07-31), and scored through its SQL function <function>_probabilities; nothing
is tuned on the test days. The baselines (logistic regression, a depth-2 decision tree, a
random forest, XGBoost, with the Handbook's settings, on the Handbook's 15 inputs) are fitted
on the 7 training days.

Figures: AUC ROC, average precision and card precision top-100 of each, and whether the
model beats every baseline on all three and reaches the Handbook's tuned XGBoost on its own
data (AUC 0.869, AP 0.687, CP@100 0.303).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from bench import results
from fraud_detection.defaults import (
    MODEL_FUNCTIONS,
    MODEL_INPUTS,
    MODEL_NAME,
    PLUS_EXTRA_INPUTS,
    PLUS_MODEL_NAME,
)
from fraud_detection.learner import protocol
from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import fresh_streams
from fraud_detection.testing.ports import free_port
from producer.cli import main as producer
from producer.kinesis import make_client
from producer.local_kinesis import LocalKinesis

SPLIT = protocol.Split(pd.Timestamp("2018-07-25"))
# Every input of every model, each once, in the order the models list them.
ALL_INPUTS = list(dict.fromkeys(i for _, inputs in MODEL_FUNCTIONS.values() for i in inputs))
# The results' keys: the default model's as before, the second model's prefixed "plus_".
PREFIXES = {MODEL_NAME: "", PLUS_MODEL_NAME: "plus_"}
MEASURES = ("auc_roc", "average_precision", "card_precision_at_100")


def train_and_score(dbt: LocalDbt, model: str, window: str, test: pd.DataFrame) -> dict:
    """Train ``model`` on ``window`` (vars) with dbt; its measures on ``test``, scored
    through its SQL function, and what SHOW MODEL says of it."""
    function, inputs = MODEL_FUNCTIONS[model]
    trained = dbt.run("run", "-s", model, vars=f"{dbt.history_vars}, {window}")
    assert trained.returncode == 0, trained.output[-2000:]
    with dbt.model_connection() as connection:
        [(learner, scheme, threshold, rows, frauds)] = connection.execute(
            "select learner, validation_scheme, threshold, training_rows, training_frauds"
            f" from {model}"
        ).fetchall()
        scores = connection.execute(f"""
            select transaction_id,
                case when metrics.labels[1] = '1' then metrics.probabilities[1]
                    else metrics.probabilities[2] end as score
            from (
                select transaction_id,
                    {function}_probabilities({", ".join(inputs)}) as metrics
                from int_training_features
                where tx_datetime >= '{SPLIT.test_start}' and tx_datetime < '{SPLIT.test_end}'
            ) as scored
        """).df()
    score = test["transaction_id"].map(scores.set_index("transaction_id")["score"])
    return {
        **rounded(protocol.measures(test, score.to_numpy())),
        "learner": learner,
        "validation_scheme": scheme,
        "threshold": round(threshold, 4),
        "training_rows": rows,
        "training_frauds": frauds,
        "train_seconds": round(dbt.last_model_seconds(), 1),
    }


def days(start: pd.Timestamp, end: pd.Timestamp) -> list[str]:
    """A period's first and last day (its end is exclusive)."""
    return [str(start.date()), str((end - pd.Timedelta(days=1)).date())]


def rounded(measured: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 4) for name, value in measured.items()}


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalKinesis(port=free_port(), data_dir=Path(folder) / "kinesis") as server,
    ):
        # The training set reads the stream's labelled transactions too: an empty stream.
        stream = fresh_streams(make_client(server.endpoint_url), "bench-model")
        world = Path(folder) / "world"
        assert producer(["generate", "--out", str(world)]) == 0
        dbt = LocalDbt(Path(folder) / "dbt", server.endpoint_url, stream, artifacts=True)
        dbt.build_training_features(world / "cust_payment_tx_history.parquet", Path(folder) / "m")
        frame = pd.DataFrame(
            dbt.query(f"""
                select transaction_id, customer_id, tx_datetime, tx_fraud, {", ".join(ALL_INPUTS)}
                from int_training_features
                where tx_datetime >= '{SPLIT.training_start}' and tx_datetime < '{SPLIT.test_end}'
                order by transaction_id
            """),
            columns=["transaction_id", "customer_id", "tx_datetime", "tx_fraud", *ALL_INPUTS],
        )
        training, test = protocol.training_set(frame, SPLIT), protocol.test_set(frame, SPLIT)

        windows = {
            "seven_days": f"training_start: '{SPLIT.training_start.date()}',"
            f" training_end: '{SPLIT.training_end.date()}'",
            "all_history": f"training_end: '{SPLIT.training_end.date()}'",
        }
        models = {
            f"{prefix}{name}": train_and_score(dbt, model, window, test)
            for model, prefix in PREFIXES.items()
            for name, window in windows.items()
        }

    baselines = {}
    for name, classifier in protocol.baselines().items():
        started = time.perf_counter()
        classifier.fit(training[list(MODEL_INPUTS)], training["tx_fraud"])
        scores = classifier.predict_proba(test[list(MODEL_INPUTS)])[:, 1]
        baselines[name] = {
            **rounded(protocol.measures(test, scores)),
            "train_and_score_seconds": round(time.perf_counter() - started, 1),
        }

    goals = {
        f"{model}_{goal}": all(
            models[model][measure] > max(b[measure] for b in baselines.values())
            if goal == "beats_every_baseline"
            else models[model][measure] >= protocol.HANDBOOK_TUNED_XGBOOST[measure]
            for measure in MEASURES
        )
        for model in models
        for goal in ("beats_every_baseline", "reaches_handbook_tuned_xgboost")
    }
    results.write(
        "model_protocol",
        {
            "split": {
                "training_days": days(SPLIT.training_start, SPLIT.training_end),
                "test_days": days(SPLIT.test_start, SPLIT.test_end),
                "training_transactions": len(training),
                "training_frauds": int(training["tx_fraud"].sum()),
                "test_transactions": len(test),
                "test_frauds": int(test["tx_fraud"].sum()),
            },
            "model": models,
            "plus_extra_inputs": list(PLUS_EXTRA_INPUTS),
            "baselines": baselines,
            "handbook_tuned_xgboost": protocol.HANDBOOK_TUNED_XGBOOST,
            "goals": goals,
        },
        {},
    )


if __name__ == "__main__":
    main()
