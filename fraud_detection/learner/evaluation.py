"""Fraud-detection quality measures, as the Fraud Detection Handbook defines them."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _daily_top_cards(scored: pd.DataFrame, k: int):
    """Per day, in order: (the day's transactions, its cards, the k top-scored cards).

    A card's score is its highest transaction score that day and it is compromised if any of
    its transactions that day is a fraud; cards found compromised on an earlier day are left
    out of later days, as an investigator would already have blocked them (the Handbook's
    card_precision_top_k).
    """
    frame = scored.assign(day=pd.to_datetime(scored["tx_datetime"]).dt.floor("D"))
    known_compromised: set[int] = set()
    for _, day in frame.groupby("day", sort=True):
        cards = day.groupby("customer_id").agg(score=("score", "max"), fraud=("tx_fraud", "max"))
        cards = cards[~cards.index.isin(known_compromised)]
        top = cards.sort_values("score", ascending=False, kind="stable").head(k)
        yield day, cards, top
        known_compromised.update(top.index[top["fraud"] == 1])


def card_precision_at_k(scored: pd.DataFrame, k: int = 100) -> float:
    """Mean over days of the share of truly compromised cards among the k top-scored cards.

    ``scored`` has customer_id, tx_datetime, tx_fraud and score.
    """
    return float(np.mean([top["fraud"].sum() / k for _, _, top in _daily_top_cards(scored, k)]))


def compromised_cards_missed(scored: pd.DataFrame, k: int = 100) -> tuple[float, float]:
    """Per day on average: the compromised cards left out of the k top-scored, and those of
    them whose every fraud that day is marked ``blind`` (a boolean column of ``scored``)."""
    missed = blind = 0
    days = 0
    for day, cards, top in _daily_top_cards(scored, k):
        days += 1
        left_out = cards.index[(cards["fraud"] == 1) & ~cards.index.isin(top.index)]
        frauds = day[(day["tx_fraud"] == 1) & day["customer_id"].isin(left_out)]
        missed += len(left_out)
        blind += int(frauds.groupby("customer_id")["blind"].all().sum())
    return missed / days, blind / days


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
