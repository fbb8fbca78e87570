"""Fraud-detection quality measures, as the Fraud Detection Handbook defines them."""

from __future__ import annotations

import numpy as np
import pandas as pd


def card_precision_at_k(scored: pd.DataFrame, k: int = 100) -> float:
    """Mean over days of the share of truly compromised cards among the k top-scored cards.

    ``scored`` has customer_id, tx_datetime, tx_fraud and score. Per day a card's score is
    its highest transaction score and it is compromised if any of its transactions that day
    is a fraud; cards found compromised on an earlier day are left out of later days, as an
    investigator would already have blocked them (the Handbook's card_precision_top_k).
    """
    frame = scored.assign(day=pd.to_datetime(scored["tx_datetime"]).dt.floor("D"))
    known_compromised: set[int] = set()
    precisions = []
    for _, day in frame.groupby("day", sort=True):
        cards = day.groupby("customer_id").agg(score=("score", "max"), fraud=("tx_fraud", "max"))
        cards = cards[~cards.index.isin(known_compromised)]
        top = cards.sort_values("score", ascending=False, kind="stable").head(k)
        precisions.append(top["fraud"].sum() / k)
        known_compromised.update(top.index[top["fraud"] == 1])
    return float(np.mean(precisions))


def quality(labels: np.ndarray, scores: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, confusion_matrix, f1_score, roc_auc_score

    tn, fp, fn, tp = confusion_matrix(labels, predictions, labels=[0, 1]).ravel()
    return {
        "auc_roc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        "f1": float(f1_score(labels, predictions)),
        "precision": float(tp / (tp + fp)) if tp + fp else 0.0,
        "recall": float(tp / (tp + fn)) if tp + fn else 0.0,
        "true_positives": int(tp),
        "false_positives": int(fp),
        "false_negatives": int(fn),
        "true_negatives": int(tn),
    }
