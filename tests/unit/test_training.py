"""The local learner on its own: candidates chosen by the objective on a time-ordered split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fraud_detection.defaults import MODEL_INPUTS, MODEL_XGBOOST_HYPERPARAMETERS
from fraud_detection.learner.training import TrainingOptions, make_learner, train
from fraud_detection.learner.validation import TrainingWindowError


def test_automl_picks_by_the_objective_on_a_time_ordered_split():
    rng = np.random.default_rng(1)
    n = 4_000
    frame = pd.DataFrame(rng.random((n, len(MODEL_INPUTS))), columns=list(MODEL_INPUTS))
    frame["tx_datetime"] = pd.date_range("2024-01-01", periods=n, freq="15min")
    # fraud depends on an interaction no linear model sees: the trees must win
    frame["tx_fraud"] = (
        (frame.tx_amount > 0.7) & (frame.terminal_id_risk_7day_window > 0.6)
    ).astype(int)
    _model, info = train(frame, TrainingOptions(objective="AP"), "m")
    assert info.learner == "xgboost"
    assert {c["learner"] for c in info.candidates} == {"xgboost", "logistic_regression"}
    assert info.validation_objective_value > 0.9 and 0 < info.threshold < 1
    with pytest.raises(ValueError, match="objective must be one of"):
        TrainingOptions(objective="accuracy")


def test_xgboost_learns_a_sharp_rule_on_rare_values():
    """Every amount over 220 a fraud, 0.2% of rows: the split must fall at 220 (with XGBoost's
    default 256 bins, recall here is 0.37: no bin edge lies near 220)."""
    rng = np.random.default_rng(3)

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        inputs = rng.random((n, len(MODEL_INPUTS)))
        inputs[:, 0] = np.round(rng.gamma(2.0, 26.0, n), 2)  # amounts, mean 52
        return inputs, inputs[:, 0] > 220

    inputs, labels = sample(60_000)
    learner = make_learner("xgboost", 0).fit(inputs, labels.astype(int))
    inputs, labels = sample(60_000)
    flagged = learner.predict_proba(inputs)[:, 1] >= 0.5
    assert labels.sum() > 100
    assert flagged[labels].mean() >= 0.99
    assert (flagged & ~labels).sum() <= 5


def window(days: float, frauds: int, rows: int = 2_000, seed: int = 2) -> pd.DataFrame:
    """``rows`` transactions spread over ``days`` days, the first ``frauds`` of a random
    order fraudulent, with a large amount."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.random((rows, len(MODEL_INPUTS))), columns=list(MODEL_INPUTS))
    frame["tx_datetime"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        np.sort(rng.random(rows)) * days, unit="D"
    )
    fraud = np.zeros(rows, int)
    fraud[rng.permutation(rows)[:frauds]] = 1
    return frame.assign(tx_fraud=fraud, tx_amount=frame.tx_amount + 2 * fraud)


@pytest.mark.parametrize("days", [1, 7])
def test_a_short_window_trains_on_stratified_folds_and_says_so(days):
    _model, info = train(window(days, frauds=30), TrainingOptions(), "m")
    assert info.validation_scheme.startswith("stratified 5-fold: a window of")
    assert info.validation_scheme.endswith(" days, under 28 days")
    assert info.validation_auc > 0.99 and 0 < info.threshold < 1
    assert info.training_frauds == 30


def test_a_long_window_keeps_the_time_ordered_split():
    _model, info = train(window(60, frauds=200), TrainingOptions(), "m")
    assert info.validation_scheme == "time-ordered: the latest 20% of the window after a 7-day gap"


def test_few_frauds_still_train():
    _model, info = train(window(7, frauds=3), TrainingOptions(), "m")
    assert info.validation_scheme.startswith("stratified 3-fold")
    _model, info = train(window(7, frauds=1), TrainingOptions(), "m")
    assert info.validation_scheme.startswith("none: a single fraud")
    assert info.threshold == 0.5 and info.validation_auc is None and info.learner == "xgboost"


def test_only_a_window_without_a_class_fails_naming_the_window():
    frame = window(1, frauds=0)
    with pytest.raises(TrainingWindowError) as raised:
        train(frame, TrainingOptions(), "m")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        f"the training window {frame.tx_datetime.min()} to {frame.tx_datetime.max()} "
        "holds no fraud (2000 transactions, 0 frauds)"
    )
    with pytest.raises(TrainingWindowError, match="holds no genuine transaction"):
        train(frame.assign(tx_fraud=1), TrainingOptions(), "m")
    with pytest.raises(TrainingWindowError, match=r"^the training window holds no transactions$"):
        train(frame.head(0), TrainingOptions(), "m")


def test_redshift_hyperparameter_names_and_quoted_values_set_xgboost():
    learner = make_learner(
        "xgboost", 0, {"NUM_ROUND": "30", "eta": "0.3", "lambda": 2, "tree_method": "exact"}
    )
    params = learner.get_params()
    assert (params["n_estimators"], params["learning_rate"], params["reg_lambda"]) == (30, 0.3, 2)
    assert params["tree_method"] == "exact"
    default = make_learner("xgboost", 0).get_params()
    assert (default["n_estimators"], default["learning_rate"]) == (
        MODEL_XGBOOST_HYPERPARAMETERS["num_round"],
        MODEL_XGBOOST_HYPERPARAMETERS["eta"],
    )
    assert (default["tree_method"], default["max_bin"]) == ("hist", 4096)


def test_nulls_in_the_training_data_are_named_by_column_and_count():
    frame = window(days=30, frauds=40)
    frame.loc[frame.index[:3], "tx_amount"] = np.nan
    frame.loc[frame.index[5:6], "terminal_id_risk_7day_window"] = None
    with pytest.raises(
        ValueError,
        match=r"NULLs in tx_amount \(3 rows\), terminal_id_risk_7day_window \(1 rows\)",
    ):
        train(frame, TrainingOptions(), "m")
