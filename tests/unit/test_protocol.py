"""The Handbook's protocol on hand-made examples whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fraud_detection.learner import protocol
from fraud_detection.learner.protocol import Split

# train 2024-01-01 and 02, delay 03 and 04, test 05 to 07
SPLIT = Split(pd.Timestamp("2024-01-01"), train_days=2, delay_days=2, test_days=3)


def transactions() -> pd.DataFrame:
    rows = [
        ("2023-12-31 10:00", "D", 1),  # before the training start: never known
        ("2024-01-01 10:00", "A", 1),  # a training day: known on every test day
        ("2024-01-02 09:00", "F", 0),
        ("2024-01-03 10:00", "B", 1),  # first delay day: known from 01-06 (= 01-03 + delay + 1)
        ("2024-01-04 10:00", "C", 1),  # second delay day: known from 01-07
    ]
    frauds_in_test = {("05", "E"), ("06", "E"), ("07", "D")}  # never added to the known
    for day in ("05", "06", "07"):
        for customer in "ABCDEF":
            rows.append((f"2024-01-{day} 12:00", customer, int((day, customer) in frauds_in_test)))
    frame = pd.DataFrame(rows, columns=["tx_datetime", "customer_id", "tx_fraud"])
    return frame.assign(tx_datetime=pd.to_datetime(frame.tx_datetime))


def test_the_test_set_drops_customers_known_compromised_before_each_test_day():
    test = protocol.test_set(transactions(), SPLIT)
    kept = test.groupby(test.tx_datetime.dt.day)["customer_id"].apply("".join).to_dict()
    assert kept == {5: "BCDEF", 6: "CDEF", 7: "DEF"}


def test_the_training_set_is_the_training_days_or_all_history_before_the_delay():
    frame = transactions()
    assert protocol.training_set(frame, SPLIT)["customer_id"].tolist() == ["A", "F"]
    assert protocol.training_set(frame, SPLIT, all_history=True)["customer_id"].tolist() == [
        "D",
        "A",
        "F",
    ]


def test_card_precision_counts_each_days_new_compromised_cards_among_the_top_100():
    test = protocol.test_set(transactions(), SPLIT)
    scores = test["tx_fraud"].to_numpy() * 0.8 + 0.1
    measured = protocol.measures(test, scores)
    # fewer than 100 cards a day, all in the top 100: day 5 finds E (1 of 100); day 6 has no
    # new compromised card (E, found on day 5, is left out); day 7 finds D
    assert measured["card_precision_at_100"] == pytest.approx((1 + 0 + 1) / 100 / 3)
    assert measured["auc_roc"] == 1.0 and measured["average_precision"] == 1.0


def handbook_test_set(frame: pd.DataFrame, split: Split) -> pd.DataFrame:
    """The Handbook's get_train_test_set loop, transcribed, as the reference."""
    day = (frame.tx_datetime - split.training_start).dt.days
    train = frame[(day >= 0) & (day < split.train_days)]
    known = set(train[train.tx_fraud == 1].customer_id)
    parts = []
    for test_day in range(split.test_days):
        delay_day = frame[day == split.train_days + test_day - 1]
        known |= set(delay_day[delay_day.tx_fraud == 1].customer_id)
        today = frame[day == split.train_days + split.delay_days + test_day]
        parts.append(today[~today.customer_id.isin(known)])
    return pd.concat(parts)


def test_the_test_set_equals_the_handbooks_on_a_random_world():
    rng = np.random.default_rng(5)
    n = 5_000
    frame = pd.DataFrame(
        {
            "tx_datetime": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(np.sort(rng.random(n)) * 25 - 2, unit="D"),
            "customer_id": rng.integers(0, 300, n),
            "tx_fraud": (rng.random(n) < 0.03).astype(int),
        }
    )
    split = Split(pd.Timestamp("2024-01-01"))
    expected = handbook_test_set(frame, split)
    assert len(expected) > 1_000
    assert protocol.test_set(frame, split).index.tolist() == expected.index.tolist()


def test_the_baselines_are_the_handbooks():
    models = protocol.baselines()
    assert list(models) == [
        "logistic_regression",
        "decision_tree_depth_2",
        "decision_tree_unlimited",
        "random_forest",
        "xgboost",
    ]
    assert models["decision_tree_depth_2"][-1].max_depth == 2
    assert models["decision_tree_unlimited"][-1].max_depth is None
    assert models["random_forest"][-1].n_estimators == 100
    assert all(model[0].__class__.__name__ == "StandardScaler" for model in models.values())
