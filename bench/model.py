"""The fraud model's quality on four months of training and the rest of the history as test,
and its speed. Its quality against the Handbook's baselines, on the Handbook's own protocol,
is bench/model_protocol.py's.

The default world (183 days from 2018-04-01) is built with dbt; cust_cc_txn_fd is trained
on the first four months (to 2018-08-01), and tested on the transactions from 2018-08-08
on (a 7-day gap for the label delay), scored through the SQL functions fn_customer_cc_fd
and fn_customer_cc_fd_probabilities. Nothing is tuned on the test period: the learner and threshold
come from the model's own time-ordered validation inside the training months.

Figures: test_auc_roc, test_average_precision, test_f1, test_card_precision_at_100 with
its ceiling (the same measure with the labels as scores) and the compromised cards a day the
model leaves out of its top 100: all, and those whose every fraud that day was blind to the
inputs (a compromised terminal with no fraud in its delayed windows yet). balanced_test_f1:
the walkthrough's class-balanced setup, the same AutoML trained on the training months'
frauds and as many genuine transactions drawn at random, tested on the test period's frauds
and as many genuine ones (balanced_test_f1_best_threshold is the most any threshold gives
there, chosen on the test sample itself: an upper bound, not a result;
balanced_test_f1_main_model is the main model, with its own threshold, on that sample).
train_seconds (median of RUNS trainings) and score_rows_per_s (fn_customer_cc_fd over 1M
rows in DuckDB, median of RUNS).
Targets: AUC >= 0.87, AP >= 0.70, train < 120 s, >= 500,000 rows/s. CP@100 and the
balanced F1 are context: their former targets (CP@100 >= 0.30, balanced F1 >= 0.91) measured
the data, not the model (this test period's CP@100 ceiling is 0.341; the post's F1 came from
a sample that is not comparable), and were retired.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench import results
from fraud_detection.defaults import MODEL_INPUTS
from fraud_detection.learner.evaluation import (
    card_precision_at_k,
    compromised_cards_missed,
    quality,
)
from fraud_detection.learner.training import TrainingOptions, best_f1_threshold, train
from fraud_detection.plugins.fraud_model import Plugin
from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import fresh_streams
from fraud_detection.testing.ports import free_port
from producer.cli import main as producer
from producer.kinesis import make_client
from producer.local_kinesis import LocalKinesis

RUNS = 3
TRAINING_END = "2018-08-01"
TEST_START = "2018-08-08"
SCORE_ROWS = 1_000_000
INPUTS = ", ".join(MODEL_INPUTS)


def balanced_sample(frame, rng: np.random.Generator):
    frauds = frame[frame.tx_fraud == 1]
    genuine = frame[frame.tx_fraud == 0].sample(n=len(frauds), random_state=rng.integers(2**31))
    return pd.concat([frauds, genuine]).sort_values("tx_datetime", kind="stable")


def balanced_setup(connection) -> dict[str, float]:
    """The walkthrough's setup: train and test on class-balanced samples."""
    rng = np.random.default_rng(0)
    columns = f"tx_datetime, tx_fraud, {INPUTS}"
    training = connection.execute(
        f"select {columns} from int_training_features where tx_datetime < '{TRAINING_END}'"
        " order by transaction_id"
    ).df()
    test = connection.execute(
        f"select {columns} from int_training_features where tx_datetime >= '{TEST_START}'"
        " order by transaction_id"
    ).df()
    model, info = train(balanced_sample(training, rng), TrainingOptions(), "balanced")
    test = balanced_sample(test, rng)
    scores = model.predict_proba(test[list(MODEL_INPUTS)].to_numpy(np.float64))[:, 1]
    labels = test["tx_fraud"].to_numpy()
    measured = quality(labels, scores, (scores >= info.threshold).astype(int))
    # An upper bound, not a result: the threshold chosen on the test sample itself.
    measured["best_threshold_f1"] = best_f1_threshold(labels, scores)[1]
    return measured


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalKinesis(port=free_port(), data_dir=Path(folder) / "kinesis") as server,
    ):
        # The training set reads the stream's labelled transactions too: an empty stream.
        stream = fresh_streams(make_client(server.endpoint_url), "bench-model")
        world = Path(folder) / "world"
        assert producer(["generate", "--out", str(world)]) == 0
        history = world / "cust_payment_tx_history.parquet"
        dbt = LocalDbt(Path(folder) / "dbt", server.endpoint_url, stream, artifacts=True)
        dbt.env["FRAUD_MODELS_DIR"] = str(Path(folder) / "models")
        vars = f"history_path: '{history}', training_end: '{TRAINING_END}'"
        built = dbt.run(
            "build", "-s", "customer_info", "+int_training_features",
            "--indirect-selection", "cautious", vars=vars,
        )  # fmt: skip
        assert built.returncode == 0, built.output[-2000:]

        train_seconds = []
        for _ in range(RUNS):
            trained = dbt.run("run", "-s", "cust_cc_txn_fd", vars=vars + ", retrain_models: true")
            assert trained.returncode == 0, trained.output[-2000:]
            train_seconds.append(dbt.last_model_seconds())

        connection = duckdb.connect(str(dbt.database), read_only=True)
        Plugin("bench", {"models_dir": dbt.env["FRAUD_MODELS_DIR"]}).configure_connection(
            connection
        )
        [(learner, threshold, validation)] = connection.execute(
            "select learner, threshold, validation_objective_value from cust_cc_txn_fd"
        ).fetchall()
        # blind: a fraud of a compromised terminal (scenario 2) whose terminal shows no fraud
        # in the delayed windows yet: nothing among the 15 inputs sets it apart.
        test = connection.execute(f"""
            select customer_id, tx_datetime, tx_fraud, prediction, blind,
                case when metrics.labels[1] = '1' then metrics.probabilities[1]
                    else metrics.probabilities[2] end as score
            from (
                select transaction_id, customer_id, tx_datetime, tx_fraud,
                    fn_customer_cc_fd_probabilities({INPUTS}) as metrics,
                    fn_customer_cc_fd({INPUTS}) as prediction,
                    tx_fraud_scenario = 2 and terminal_id_risk_30day_window = 0 as blind
                from int_training_features
                inner join (select transaction_id, tx_fraud_scenario from cust_payment_tx_history)
                    using (transaction_id)
                where tx_datetime >= '{TEST_START}'
            ) as scored
            order by transaction_id
        """).df()
        labels, scores = test["tx_fraud"].to_numpy(), test["score"].to_numpy()
        measured = quality(labels, scores, test["prediction"].to_numpy())
        rng = np.random.default_rng(0)
        frauds = np.nonzero(labels == 1)[0]
        genuine = rng.choice(np.nonzero(labels == 0)[0], size=len(frauds), replace=False)
        balanced = np.concatenate([frauds, genuine])
        main_model_on_balanced = quality(
            labels[balanced], scores[balanced], test["prediction"].to_numpy()[balanced]
        )
        walkthrough_setup = balanced_setup(connection)
        missed_cards, blind_cards = compromised_cards_missed(test, 100)

        rates = []
        for _ in range(RUNS):
            started = time.perf_counter()
            connection.execute(f"""
                select sum(fn_customer_cc_fd({INPUTS}))
                from (select * from int_training_features limit {SCORE_ROWS})
            """).fetchall()
            rates.append(SCORE_ROWS / (time.perf_counter() - started))

    results.write(
        "model",
        {
            "test_auc_roc": round(measured["auc_roc"], 4),
            "test_average_precision": round(measured["average_precision"], 4),
            "test_card_precision_at_100": round(card_precision_at_k(test, 100), 4),
            # what a model that knew the labels would reach: the days' compromised cards
            "test_card_precision_at_100_ceiling": round(
                card_precision_at_k(test.assign(score=test["tx_fraud"]), 100), 4
            ),
            "test_missed_compromised_cards_per_day": round(missed_cards, 2),
            "test_missed_blind_cards_per_day": round(blind_cards, 2),
            "test_f1": round(measured["f1"], 4),
            "test_precision": round(measured["precision"], 4),
            "test_recall": round(measured["recall"], 4),
            "balanced_test_f1": round(walkthrough_setup["f1"], 4),
            "balanced_test_precision": round(walkthrough_setup["precision"], 4),
            "balanced_test_recall": round(walkthrough_setup["recall"], 4),
            "balanced_test_f1_best_threshold": round(walkthrough_setup["best_threshold_f1"], 4),
            "balanced_test_f1_main_model": round(main_model_on_balanced["f1"], 4),
            "train_seconds": round(results.median(train_seconds), 1),
            "score_rows_per_s": round(results.median(rates)),
            "learner": learner,
            "threshold": round(threshold, 4),
            "validation_f1": round(validation, 4),
            "test_transactions": len(test),
            "test_frauds": int(labels.sum()),
            "handbook_xgboost": {
                "auc_roc": 0.869,
                "average_precision": 0.687,
                "card_precision_at_100": 0.303,
            },
        },
        {
            "train_seconds": [round(x, 1) for x in train_seconds],
            "score_rows_per_s": [round(x) for x in rates],
        },
    )


if __name__ == "__main__":
    main()
