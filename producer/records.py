"""The stream's wire format: one JSON object per transaction, keyed as in the AWS walkthrough.

Only the seven walkthrough fields travel; labels never do. TX_DATETIME is UTC, written as
``YYYY-MM-DD HH:MM:SS[.ffffff]`` (what Redshift's ``::timestamp`` cast and DuckDB accept);
TX_AMOUNT is a JSON number with two decimals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from producer.history import Transactions

if TYPE_CHECKING:
    import pandas as pd

WIRE_KEYS = (
    "TRANSACTION_ID",
    "TX_DATETIME",
    "CUSTOMER_ID",
    "TERMINAL_ID",
    "TX_AMOUNT",
    "TX_TIME_SECONDS",
    "TX_TIME_DAYS",
)
_TEMPLATE = (
    '{"TRANSACTION_ID":%d,"TX_DATETIME":"%s","CUSTOMER_ID":%d,"TERMINAL_ID":%d,'
    '"TX_AMOUNT":%s,"TX_TIME_SECONDS":%d,"TX_TIME_DAYS":%d}'
)
LABEL_COLUMNS = ("TRANSACTION_ID", "TX_FRAUD", "TX_FRAUD_SCENARIO")


@dataclass(frozen=True)
class Record:
    """One Kinesis record: the partition key (the customer id) and the JSON bytes."""

    partition_key: str
    data: bytes
    transaction_id: int


def format_utc(moment: dt.datetime) -> str:
    """UTC wall-clock text of a tz-aware datetime, with microseconds."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def encode(
    transaction_ids: np.ndarray,
    tx_datetimes: list[str],
    customer_ids: np.ndarray,
    terminal_ids: np.ndarray,
    amounts: list[str],
    tx_time_seconds: np.ndarray,
    tx_time_days: np.ndarray,
) -> Iterator[Record]:
    """Records for parallel columns; amounts already formatted with two decimals."""
    rows = zip(
        transaction_ids.tolist(),
        tx_datetimes,
        customer_ids.tolist(),
        terminal_ids.tolist(),
        amounts,
        tx_time_seconds.tolist(),
        tx_time_days.tolist(),
        strict=True,
    )
    for row in rows:
        yield Record(
            partition_key=str(row[2]), data=(_TEMPLATE % row).encode(), transaction_id=row[0]
        )


def cents_text(cents: np.ndarray) -> list[str]:
    """'12.34' for 1234 cents, exactly (no binary floating point)."""
    whole, part = np.divmod(np.abs(cents), 100)
    sign = np.where(cents < 0, "-", "")
    return [f"{s}{w}.{p:02d}" for s, w, p in zip(sign, whole.tolist(), part.tolist(), strict=True)]


def encode_live(created_at: dt.datetime, transactions: Transactions) -> Iterator[Record]:
    """Records of live transactions, all stamped ``created_at``."""
    stamp = format_utc(created_at)
    return encode(
        transactions.transaction_id,
        [stamp] * len(transactions),
        transactions.customer_id,
        transactions.terminal_id,
        cents_text(transactions.amount_cents),
        transactions.tx_time_seconds,
        transactions.tx_time_days,
    )


def encode_frame(frame: pd.DataFrame, chunk_rows: int = 10_000) -> Iterator[Record]:
    """Records of a history frame as read by ``files.read_transactions`` (exact cents in
    TX_AMOUNT_CENTS), made chunk by chunk; a time's microseconds are written when it has any."""
    for lo in range(0, len(frame), chunk_rows):
        chunk = frame.iloc[lo : lo + chunk_rows]
        times = chunk["TX_DATETIME"].dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        yield from encode(
            chunk["TRANSACTION_ID"].to_numpy(np.int64),
            times.str.removesuffix(".000000").tolist(),
            chunk["CUSTOMER_ID"].to_numpy(np.int64),
            chunk["TERMINAL_ID"].to_numpy(np.int64),
            cents_text(chunk["TX_AMOUNT_CENTS"].to_numpy(np.int64)),
            chunk["TX_TIME_SECONDS"].to_numpy(np.int64),
            chunk["TX_TIME_DAYS"].to_numpy(np.int64),
        )
