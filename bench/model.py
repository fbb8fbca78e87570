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
amount_rule_recall_256_bins and _4096_bins, fit_seconds_ratio_4096_to_256_bins: the
learner fitted directly with XGBoost's default 256 histogram bins and with the 4,096 it uses,
in the same run. test_amount_rule_recall: the share of the test period's transactions over 220
(every one a fraud) that the model flags; test_scenario_1_recall: the same for those labelled
scenario 1.
cell_budget: the training months trained three ways and tested alike (cell_budget's
docstring): every row; the project's sample within Redshift ML's default MAX_CELLS (every
fraud and a seeded share of the genuine rows, genuine_sample_rate, with the probabilities
corrected back to the base rate: mean_probability against test_fraud_rate shows it); and
Redshift ML's own random sample to the same budget. training_rows and genuine_sample_rate:
the served model's, trained by dbt within the default budget.
Targets: AUC >= 0.87, AP >= 0.70, amount-rule recall >= 0.99, train < 120 s,
>= 500,000 rows/s. CP@100 and the
balanced F1 are context: their former targets (CP@100 >= 0.30, balanced F1 >= 0.91) measured
the data, not the model (this test period's CP@100 ceiling is 0.341; the post's F1 came from
a sample that is not comparable), and were retired.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from bench import results
from bench.world import default_world, md5_sample
from fraud_detection.defaults import MODEL_INPUTS
from fraud_detection.learner.evaluation import (
    card_precision_at_k,
    compromised_cards_missed,
    quality,
)
from fraud_detection.learner.training import (
    TrainingOptions,
    best_f1_threshold,
    prior_corrected,
    train,
)

RUNS = 3
TRAINING_END = "2018-08-01"
TEST_START = "2018-08-08"
SCORE_ROWS = 1_000_000
INPUTS = ", ".join(MODEL_INPUTS)


def balanced_sample(frame, rng: np.random.Generator):
    frauds = frame[frame.tx_fraud == 1]
    genuine = frame[frame.tx_fraud == 0].sample(n=len(frauds), random_state=rng.integers(2**31))
    return pd.concat([frauds, genuine]).sort_values("tx_datetime", kind="stable")


def training_and_test(connection, columns: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``columns`` of int_training_features over the training months and the test period."""
    training = connection.execute(
        f"select {columns} from int_training_features where tx_datetime < '{TRAINING_END}'"
        " order by transaction_id"
    ).df()
    test = connection.execute(
        f"select {columns} from int_training_features where tx_datetime >= '{TEST_START}'"
        " order by transaction_id"
    ).df()
    return training, test


def balanced_setup(connection) -> dict[str, float]:
    """The walkthrough's setup: train and test on class-balanced samples."""
    rng = np.random.default_rng(0)
    training, test = training_and_test(connection, f"tx_datetime, tx_fraud, {INPUTS}")
    model, info = train(balanced_sample(training, rng), TrainingOptions(), "balanced")
    test = balanced_sample(test, rng)
    scores = model.predict_proba(test[list(MODEL_INPUTS)].to_numpy(np.float64))[:, 1]
    labels = test["tx_fraud"].to_numpy()
    measured = quality(labels, scores, (scores >= info.threshold).astype(int))
    # An upper bound, not a result: the threshold chosen on the test sample itself.
    measured["best_threshold_f1"] = best_f1_threshold(labels, scores)[1]
    return measured


def cell_budget(connection, served_rate: float) -> dict[str, dict]:
    """Three training sets from the training months, trained alike by the local AutoML and
    scored on the test period: every row (MAX_CELLS raised to fit them); the project's
    sample within the default 1,000,000 cells (every fraud, genuine rows by the MD5 rule at
    the served model's rate, probabilities corrected); and Redshift ML's own random sample to
    the same budget (what CREATE MODEL does above MAX_CELLS: frauds thinned like the rest)."""
    columns = f"transaction_id, customer_id, tx_datetime, tx_fraud, {INPUTS}"
    training, test = training_and_test(connection, columns)
    budget_rows = int(0.98 * 1_000_000 / (len(MODEL_INPUTS) + 1))
    arms = {
        "every_row": (training, 1.0),
        "frauds_kept_genuine_sampled": (md5_sample(training, served_rate), served_rate),
        "random_sample": (training.sample(n=budget_rows, random_state=0).sort_index(), 1.0),
    }
    measured = {}
    for name, (rows, rate) in arms.items():
        started = time.perf_counter()
        model, info = train(rows, TrainingOptions(genuine_sample_rate=rate), name)
        seconds = time.perf_counter() - started
        raw = model.predict_proba(test[list(MODEL_INPUTS)].to_numpy(np.float64))[:, 1]
        scores = prior_corrected(raw, rate)
        labels = test["tx_fraud"].to_numpy()
        found = quality(labels, scores, (scores >= info.threshold).astype(int))
        measured[name] = {
            "training_rows": len(rows),
            "training_frauds": int(rows["tx_fraud"].sum()),
            "train_seconds": round(seconds, 1),
            "auc_roc": round(found["auc_roc"], 4),
            "average_precision": round(found["average_precision"], 4),
            "card_precision_at_100": round(card_precision_at_k(test.assign(score=scores), 100), 4),
            "precision": round(found["precision"], 4),
            "recall": round(found["recall"], 4),
            "mean_probability": round(float(scores.mean()), 5),
        }
    measured["test_fraud_rate"] = round(float(test["tx_fraud"].mean()), 5)
    return measured


def bins_against_256(connection) -> dict[str, float]:
    """The learner's 4,096 histogram bins against XGBoost's default 256, fitted alike on every
    row of the training months (median fit time of RUNS each): amount-rule recall at 0.5, and
    the fit time's ratio."""
    from fraud_detection.learner.training import make_learner

    training, test = training_and_test(connection, f"tx_fraud, tx_amount, {INPUTS}")
    test = test[test["tx_amount"] > 220]
    found = {}
    for bins in (256, 4096):
        seconds = []
        for _ in range(RUNS):
            learner = make_learner("xgboost", 0).set_params(max_bin=bins)
            started = time.perf_counter()
            learner.fit(training[list(MODEL_INPUTS)].to_numpy(np.float64), training["tx_fraud"])
            seconds.append(time.perf_counter() - started)
        scores = learner.predict_proba(test[list(MODEL_INPUTS)].to_numpy(np.float64))[:, 1]
        found[bins] = (float((scores >= 0.5).mean()), results.median(seconds))
    return {
        "amount_rule_recall_256_bins": round(found[256][0], 4),
        "amount_rule_recall_4096_bins": round(found[4096][0], 4),
        "fit_seconds_ratio_4096_to_256_bins": round(found[4096][1] / found[256][1], 2),
    }


def main() -> None:
    with default_world("model", artifacts=True) as dbt:
        vars = f"{dbt.history_vars}, training_end: '{TRAINING_END}'"

        train_seconds = []
        for _ in range(RUNS):
            trained = dbt.run("run", "-s", "cust_cc_txn_fd", vars=vars + ", retrain_models: true")
            assert trained.returncode == 0, trained.output[-2000:]
            train_seconds.append(dbt.last_model_seconds())

        connection = dbt.model_connection()
        [(learner, threshold, validation, training_rows)] = connection.execute(
            "select learner, threshold, validation_objective_value, training_rows"
            " from cust_cc_txn_fd"
        ).fetchall()
        [(served_rate,)] = connection.execute(
            "select genuine_sample_rate from dbt_ml_model_versions where status = 'serving'"
        ).fetchall()
        # blind: a fraud of a compromised terminal (scenario 2) whose terminal shows no fraud
        # in the delayed windows yet: nothing among the 15 inputs sets it apart.
        test = connection.execute(f"""
            select customer_id, tx_datetime, tx_fraud, prediction, blind, tx_amount,
                tx_fraud_scenario,
                case when metrics.labels[1] = '1' then metrics.probabilities[1]
                    else metrics.probabilities[2] end as score
            from (
                select transaction_id, customer_id, tx_datetime, tx_fraud, tx_amount,
                    tx_fraud_scenario, fn_customer_cc_fd_probabilities({INPUTS}) as metrics,
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
        # The amount rule (scenario 1: every transaction over 220 is a fraud); the scenario
        # column names a fraud's last scenario, so an amount fraud on a compromised terminal
        # or card is counted under 2 or 3: both are given.
        flagged = test["prediction"] == 1
        amount_rule = flagged[test["tx_amount"] > 220].mean()
        scenario_1 = flagged[test["tx_fraud_scenario"] == 1].mean()
        walkthrough_setup = balanced_setup(connection)
        bins = bins_against_256(connection)
        budget = cell_budget(connection, served_rate)
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
            "test_amount_rule_recall": round(float(amount_rule), 4),
            "test_scenario_1_recall": round(float(scenario_1), 4),
            **bins,
            "balanced_test_f1": round(walkthrough_setup["f1"], 4),
            "balanced_test_precision": round(walkthrough_setup["precision"], 4),
            "balanced_test_recall": round(walkthrough_setup["recall"], 4),
            "balanced_test_f1_best_threshold": round(walkthrough_setup["best_threshold_f1"], 4),
            "balanced_test_f1_main_model": round(main_model_on_balanced["f1"], 4),
            "train_seconds": round(results.median(train_seconds), 1),
            "score_rows_per_s": round(results.median(rates)),
            "learner": learner,
            "threshold": round(threshold, 4),
            "training_rows": training_rows,
            "genuine_sample_rate": round(served_rate, 5),
            "cell_budget": budget,
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
