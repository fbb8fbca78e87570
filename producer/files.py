"""Reading and writing transaction files (CSV or Parquet) with the walkthrough's columns.

Timestamps in files are UTC wall-clock values without an offset, as in the walkthrough's
Redshift table (``timestamp``); amounts are decimals with two places, written from cents.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from common.errors import UserError
from producer import exact_values
from producer.history import Transactions

HISTORY_COLUMNS = (
    "TRANSACTION_ID",
    "TX_DATETIME",
    "CUSTOMER_ID",
    "TERMINAL_ID",
    "TX_AMOUNT",
    "TX_TIME_SECONDS",
    "TX_TIME_DAYS",
    "TX_FRAUD",
    "TX_FRAUD_SCENARIO",
)
AMOUNT_TYPE = pa.decimal128(18, 2)


class FileFormatError(UserError, ValueError):
    """A transaction file that cannot be read as the walkthrough's history."""


def transactions_table(transactions: Transactions, start: dt.datetime) -> pa.Table:
    """The history table: one row per transaction, columns as in HISTORY_COLUMNS."""
    origin = np.datetime64(start.replace(tzinfo=None), "s")
    tx_datetime = origin + transactions.tx_time_seconds.astype("timedelta64[s]")
    amount = cents_to_decimal(transactions.amount_cents)
    return pa.table(
        {
            "TRANSACTION_ID": transactions.transaction_id,
            "TX_DATETIME": pa.array(tx_datetime, pa.timestamp("s")),
            "CUSTOMER_ID": transactions.customer_id,
            "TERMINAL_ID": transactions.terminal_id,
            "TX_AMOUNT": amount,
            "TX_TIME_SECONDS": transactions.tx_time_seconds,
            "TX_TIME_DAYS": transactions.tx_time_days,
            "TX_FRAUD": transactions.tx_fraud.astype(np.int64),
            "TX_FRAUD_SCENARIO": transactions.tx_fraud_scenario.astype(np.int64),
        }
    )


def cents_to_decimal(cents: np.ndarray) -> pa.Array:
    """Exact decimal(18, 2) amounts from integer cents (the 128-bit unscaled values)."""
    unscaled = np.empty((len(cents), 2), dtype=np.int64)
    unscaled[:, 0] = cents
    unscaled[:, 1] = np.right_shift(cents, 63)  # sign extension into the high word
    return pa.Array.from_buffers(AMOUNT_TYPE, len(cents), [None, pa.py_buffer(unscaled)])


def write_table(table: pa.Table, path: Path) -> None:
    """Write as Parquet or CSV, chosen by the file's suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(table, path, compression="zstd")
    elif path.suffix == ".csv":
        pa_csv.write_csv(table, path)
    else:
        raise FileFormatError(f"{path}: unknown format, expected .parquet or .csv")


def read_transactions(path: Path) -> pd.DataFrame:
    """A history file (CSV or Parquet) in TX_DATETIME order, ties by TRANSACTION_ID.

    Extra columns are dropped; missing ones raise FileFormatError.
    """
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path)
        elif path.suffix == ".csv":
            # The seven keys as written: their own readers decide, exactly (a CSV reader would
            # take 90071992547409.93 as a double, ...94).
            as_text = pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in HISTORY_COLUMNS[:7]},
                strings_can_be_null=True,
            )
            table = pa_csv.read_csv(path, convert_options=as_text)
        else:
            raise FileFormatError(f"{path}: unknown format, expected .parquet or .csv")
    except (pa.ArrowInvalid, OSError) as error:
        raise FileFormatError(f"{path}: cannot be read ({str(error).splitlines()[0]})") from None
    required = HISTORY_COLUMNS[:7]
    missing = [name for name in required if name not in table.column_names]
    if missing:
        raise FileFormatError(f"{path}: missing column(s) {', '.join(missing)}")
    table = table.select([c for c in HISTORY_COLUMNS if c in table.column_names])
    # Every value of the seven keys must be there and exact: a row that cannot be encoded as
    # the walkthrough's JSON without changing it refuses the whole file, so nothing is sent.
    frame = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    for name in table.column_names:
        column = table.column(name)
        if name in required and column.null_count:
            row = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
            raise FileFormatError(f"{path}: row {row + 1} has no {name}: nothing was sent")
        try:
            if name == "TX_DATETIME":
                frame[name] = exact_values.microseconds(column)
            elif name == "TX_AMOUNT":
                amount_cents = exact_values.cents(column)
                frame[name] = amount_cents / 100
            elif name in required:
                frame[name] = exact_values.integers(column)
            else:
                frame[name] = column.to_pandas()
        except exact_values.InexactValue as refused:
            raise FileFormatError(
                f"{path}: row {refused.position + 1}: {name} {refused.value!r} {refused.why}:"
                " nothing was sent"
            ) from None
    frame["TX_AMOUNT_CENTS"] = amount_cents  # what is sent; TX_AMOUNT is for reading
    return frame.sort_values(["TX_DATETIME", "TRANSACTION_ID"], kind="stable", ignore_index=True)
