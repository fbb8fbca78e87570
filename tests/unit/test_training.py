"""The local learner on its own: candidates chosen by the objective on a time-ordered split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fraud_detection.defaults import MODEL_INPUTS
from fraud_detection.learner.training import TrainingOptions, train


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
    with pytest.raises(ValueError, match="both frauds and genuine"):
        train(frame.assign(tx_fraud=0), TrainingOptions(), "m")
