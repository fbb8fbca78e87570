"""The Handbook's card precision, and the count of compromised cards it leaves out."""

from __future__ import annotations

import pandas as pd

from fraud_detection.learner.evaluation import card_precision_at_k, compromised_cards_missed


def scored_days() -> pd.DataFrame:
    rows = [
        # day 1: cards 1 and 2 compromised; card 1 scores highest, card 2 below genuine card 3
        ("2024-01-01 10:00", 1, 1, 0.9, False),
        ("2024-01-01 11:00", 1, 0, 0.1, False),
        ("2024-01-01 12:00", 2, 1, 0.2, True),
        ("2024-01-01 13:00", 3, 0, 0.5, False),
        # day 2: card 1 (found on day 1) is left out; card 4 compromised but scored lowest
        ("2024-01-02 10:00", 1, 1, 0.99, False),
        ("2024-01-02 11:00", 3, 0, 0.4, False),
        ("2024-01-02 12:00", 4, 1, 0.3, False),
        ("2024-01-02 12:30", 4, 1, 0.1, True),
    ]
    return pd.DataFrame(
        rows, columns=["tx_datetime", "customer_id", "tx_fraud", "score", "blind"]
    ).assign(tx_datetime=lambda frame: pd.to_datetime(frame.tx_datetime))


def test_card_precision_counts_cards_once_and_leaves_out_those_already_found():
    # day 1: top 2 = cards 1 (fraud) and 3 (genuine): 1/2; day 2: top 2 of cards 3 and 4: 1/2
    assert card_precision_at_k(scored_days(), k=2) == 0.5
    # k = 1: day 1 card 1 (fraud): 1; day 2 card 3 (genuine; card 1 is left out): 0
    assert card_precision_at_k(scored_days(), k=1) == 0.5


def test_missed_cards_and_those_blind_to_the_inputs():
    # k = 1: day 1 misses card 2 (its one fraud blind); day 2 misses card 4 (one fraud blind,
    # one not: not blind)
    assert compromised_cards_missed(scored_days(), k=1) == (1.0, 0.5)
    assert compromised_cards_missed(scored_days(), k=3) == (0.0, 0.0)
