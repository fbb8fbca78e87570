"""An independent reference for the window features: the Fraud Detection Handbook's own pandas
code (chapter 3.4, rolling time windows per customer and per terminal), with one change: rows
are ordered by (TX_DATETIME, TRANSACTION_ID), so same-second transactions count in id order."""

from __future__ import annotations

import pandas as pd

from fraud_detection.defaults import FEATURE_WINDOWS as WINDOWS
from fraud_detection.defaults import LABEL_DELAY_DAYS as DELAY


def _customer_features(transactions: pd.DataFrame) -> pd.DataFrame:
    transactions = transactions.sort_values(["TX_DATETIME", "TRANSACTION_ID"])
    transactions.index = transactions.TX_DATETIME
    for w in WINDOWS:
        amount_sum = transactions["TX_AMOUNT"].rolling(f"{w}D").sum()
        count = transactions["TX_AMOUNT"].rolling(f"{w}D").count()
        transactions[f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW"] = list(count)
        transactions[f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW"] = list(amount_sum / count)
    transactions.index = transactions.TRANSACTION_ID
    return transactions


def _terminal_features(transactions: pd.DataFrame) -> pd.DataFrame:
    transactions = transactions.sort_values(["TX_DATETIME", "TRANSACTION_ID"])
    transactions.index = transactions.TX_DATETIME
    frauds_delay = transactions["TX_FRAUD"].rolling(f"{DELAY}D").sum()
    count_delay = transactions["TX_FRAUD"].rolling(f"{DELAY}D").count()
    for w in WINDOWS:
        frauds = transactions["TX_FRAUD"].rolling(f"{DELAY + w}D").sum() - frauds_delay
        count = transactions["TX_FRAUD"].rolling(f"{DELAY + w}D").count() - count_delay
        transactions[f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW"] = list(count)
        transactions[f"TERMINAL_ID_RISK_{w}DAY_WINDOW"] = list(frauds / count)
    transactions.index = transactions.TRANSACTION_ID
    return transactions.fillna(0)


def reference_features(history: pd.DataFrame) -> pd.DataFrame:
    """The 15 inputs per TRANSACTION_ID, lower-case column names as in the dbt models."""
    frame = history[
        ["TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD"]
    ].copy()
    frame["TX_AMOUNT"] = frame["TX_AMOUNT"].astype(float)
    frame["TX_DURING_WEEKEND"] = (frame.TX_DATETIME.dt.day_of_week >= 5).astype(int)
    frame["TX_DURING_NIGHT"] = (frame.TX_DATETIME.dt.hour <= 6).astype(int)
    customers = frame.groupby("CUSTOMER_ID", group_keys=False)[list(frame.columns)].apply(
        _customer_features
    )
    terminals = frame.groupby("TERMINAL_ID", group_keys=False)[list(frame.columns)].apply(
        _terminal_features
    )
    customer_columns = [c for c in customers.columns if c.startswith("CUSTOMER_ID_")]
    terminal_columns = [c for c in terminals.columns if c.startswith("TERMINAL_ID_")]
    features = frame.set_index("TRANSACTION_ID")[
        ["TX_AMOUNT", "TX_DURING_WEEKEND", "TX_DURING_NIGHT"]
    ]
    features = features.join(customers[customer_columns]).join(terminals[terminal_columns])
    features.columns = [c.lower() for c in features.columns]
    return features.sort_index()
