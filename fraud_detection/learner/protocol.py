"""The Fraud Detection Handbook's evaluation protocol (Le Borgne et al., 2022, chapter 3,
"Baseline fraud detection system", and its shared functions ``get_train_test_set`` and
``card_precision_top_k``), on frames with customer_id, tx_datetime and tx_fraud:

- a training period of ``train_days``, then ``delay_days`` whose labels are not known yet
  (the feedback delay), then ``test_days`` of test;
- the test set leaves out, on each test day, the customers already known compromised then:
  those with a fraud from the training start to that day minus the delay (the training days,
  and the delay days before it), as an investigator would have blocked their cards;
- the measures: AUC ROC and average precision over the test set, and card precision top-100
  per test day with the cards detected on earlier test days removed, averaged over the days
  (fraud_detection.learner.evaluation.card_precision_at_k);
- the Handbook's baseline classifiers with its settings, the inputs standardised on the
  training set as its ``fit_model_and_get_predictions`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fraud_detection.defaults import LABEL_DELAY_DAYS
from fraud_detection.learner.evaluation import card_precision_at_k

TOP_K = 100
HANDBOOK = "https://github.com/Fraud-Detection-Handbook/fraud-detection-handbook"
# The Handbook's published test figures on its own simulated data (mean of its 4 prequential
# test folds, training starting 2018-08-15 and the 3 weeks before), as AUC ROC, average
# precision, card precision@100, read from the saved outputs of its notebooks.
HANDBOOK_PUBLISHED = {
    "chapter_5_tuned_xgboost": {
        "auc_roc": 0.869, "average_precision": 0.687, "card_precision_at_100": 0.303,
        "source": f"{HANDBOOK}: Chapter_5_ModelValidationAndSelection/ModelSelection.ipynb,"
        " 'Comparison of model performances'",
    },
    "chapter_5_tuned_random_forest": {
        "auc_roc": 0.870, "average_precision": 0.678, "card_precision_at_100": 0.299,
        "source": f"{HANDBOOK}: Chapter_5_ModelValidationAndSelection/ModelSelection.ipynb",
    },
    "chapter_6_balanced_bagging": {
        "auc_roc": 0.879, "average_precision": 0.680, "card_precision_at_100": 0.305,
        "source": f"{HANDBOOK}: Chapter_6_ImbalancedLearning/Ensembling.ipynb, 'Summary'",
    },
    "chapter_7_feed_forward_network": {
        "auc_roc": 0.876, "average_precision": 0.675, "card_precision_at_100": 0.303,
        "source": f"{HANDBOOK}: Chapter_7_DeepLearning/SequentialModeling.ipynb,"
        " 'Benchmark summary' (the best of chapter 7 on AP and CP@100)",
    },
}  # fmt: skip


@dataclass(frozen=True)
class Split:
    """The protocol's periods; each starts at midnight and ends (exclusive) at midnight."""

    training_start: pd.Timestamp
    train_days: int = 7
    delay_days: int = LABEL_DELAY_DAYS
    test_days: int = 7

    @property
    def training_end(self) -> pd.Timestamp:
        return self.training_start + pd.Timedelta(days=self.train_days)

    @property
    def test_start(self) -> pd.Timestamp:
        return self.training_end + pd.Timedelta(days=self.delay_days)

    @property
    def test_end(self) -> pd.Timestamp:
        return self.test_start + pd.Timedelta(days=self.test_days)


def period_days(start: pd.Timestamp, end: pd.Timestamp) -> list[str]:
    """A period's first and last day (its end is exclusive), as ISO dates."""
    return [str(start.date()), str((end - pd.Timedelta(days=1)).date())]


def training_set(frame: pd.DataFrame, split: Split, all_history: bool = False) -> pd.DataFrame:
    """The training days, or with ``all_history`` every labelled day before the delay."""
    times = pd.to_datetime(frame["tx_datetime"])
    keep = times < split.training_end
    if not all_history:
        keep &= times >= split.training_start
    return frame[keep]


def test_set(frame: pd.DataFrame, split: Split) -> pd.DataFrame:
    """The test days' transactions, less those of customers known compromised that day: a
    fraud of theirs lies between the training start and the day minus the delay."""
    times = pd.to_datetime(frame["tx_datetime"])
    days = times.dt.floor("D")
    frauds = (frame["tx_fraud"] == 1) & (times >= split.training_start)
    first_fraud_day = days[frauds].groupby(frame.loc[frauds, "customer_id"]).min()
    in_test = (times >= split.test_start) & (times < split.test_end)
    known_from = frame.loc[in_test, "customer_id"].map(first_fraud_day)
    known = known_from < days[in_test] - pd.Timedelta(days=split.delay_days)
    return frame[in_test][~known.to_numpy()]


def measures(test: pd.DataFrame, scores: np.ndarray) -> dict[str, float]:
    """AUC ROC, average precision and card precision top-100 of ``scores`` on ``test``."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = test["tx_fraud"].to_numpy()
    scored = test[["customer_id", "tx_datetime", "tx_fraud"]].assign(score=scores)
    return {
        "auc_roc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        "card_precision_at_100": card_precision_at_k(scored, TOP_K),
    }


def baselines(seed: int = 0, n_jobs: int = 1) -> dict[str, object]:
    """The Handbook's baseline classifiers (chapter 3, "Performances using standard prediction
    models"), unfitted, each behind the standardisation it applies; ``n_jobs`` changes the
    speed only (the Handbook uses all cores)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier
    from xgboost import XGBClassifier

    classifiers = {
        "logistic_regression": LogisticRegression(random_state=seed),
        "decision_tree_depth_2": DecisionTreeClassifier(max_depth=2, random_state=seed),
        "decision_tree_unlimited": DecisionTreeClassifier(random_state=seed),
        "random_forest": RandomForestClassifier(random_state=seed, n_jobs=n_jobs),
        "xgboost": XGBClassifier(random_state=seed, n_jobs=n_jobs),
    }
    return {name: make_pipeline(StandardScaler(), model) for name, model in classifiers.items()}
