"""replay sends a history file's values exactly as the stream's columns hold them, or refuses
the file before anything is sent (#24: ids rounded, amounts rounded to the cent or sent as
invalid JSON, microseconds dropped)."""

from __future__ import annotations

import re
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from producer.cli import main as producer
from producer.files import FileFormatError, read_transactions
from producer.records import encode_frame

HEADER = "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS"


def csv(tmp_path, *rows: str):
    path = tmp_path / "history.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def sent(path) -> list[bytes]:
    return [record.data for record in encode_frame(read_transactions(path))]


def test_amounts_beyond_a_double_and_microseconds_are_sent_as_written(tmp_path):
    path = csv(
        tmp_path,
        "1,2026-11-28 10:00:00.250001,7,9,90071992547409.93,1,0",
        "2,2026-11-28 10:00:01,7,9,1234567890123456.78,2,0",
        "3,2026-11-28 10:00:02,7,9,12.5,3,0",
    )
    records = sent(path)
    assert b'"TX_DATETIME":"2026-11-28 10:00:00.250001"' in records[0]
    assert b'"TX_AMOUNT":90071992547409.93,' in records[0]
    assert b'"TX_AMOUNT":1234567890123456.78,' in records[1]
    assert b'"TX_DATETIME":"2026-11-28 10:00:01",' in records[1]
    assert b'"TX_AMOUNT":12.50,' in records[2]


@pytest.mark.parametrize(
    "row, refused",
    [
        ("1,2026-11-28 10:00:00,7,9,inf,1,0", "TX_AMOUNT 'inf' is not an amount"),
        ("1,2026-11-28 10:00:00,7,9,123456789012345678.99,1,0", "TX_AMOUNT '1234567890"),
        ("1,2026-11-28 10:00:00,7,9,1.005,1,0", "TX_AMOUNT '1.005' is not an amount"),
        ("1e20,2026-11-28 10:00:00,7,9,1,1,0", "TRANSACTION_ID '1e20' is not an integer"),
        ("1.7,2026-11-28 10:00:00,7,9,1,1,0", "TRANSACTION_ID '1.7' is not an integer"),
        ("9223372036854775808,2026-11-28 10:00:00,7,9,1,1,0", "is not an integer a bigint"),
        ("1,2026-11-28 10:00:00,7.5,9,1,1,0", "CUSTOMER_ID '7.5' is not an integer"),
        ("1,2026-11-28 24:00:00,7,9,1,1,0", "TX_DATETIME '2026-11-28 24:00:00' is not a time"),
        ("1,2026-11-28 10:00:00.1234567,7,9,1,1,0", "is finer than a microsecond"),
    ],
)
def test_a_value_its_column_cannot_hold_refuses_the_file(tmp_path, row, refused):
    path = csv(tmp_path, "5,2026-11-28 09:00:00,7,9,1,1,0", row)
    with pytest.raises(FileFormatError, match="row 2: ") as error:
        read_transactions(path)
    assert refused in str(error.value) and str(error.value).endswith("nothing was sent")


def test_parquet_doubles_and_decimals_are_read_exactly_or_refused(tmp_path):
    def parquet(amounts: pa.Array) -> list[bytes]:
        path = tmp_path / "history.parquet"
        pq.write_table(
            pa.table({
                "TRANSACTION_ID": [1, 2], "TX_DATETIME": pa.array([0, 1], pa.timestamp("s")),
                "CUSTOMER_ID": [7, 7], "TERMINAL_ID": [9, 9], "TX_AMOUNT": amounts,
                "TX_TIME_SECONDS": [0, 1], "TX_TIME_DAYS": [0, 0],
            }),
            path,
        )  # fmt: skip
        return sent(path)

    assert b'"TX_AMOUNT":0.29,' in parquet(pa.array([0.29, 2.5]))[0]
    exact = pa.array([Decimal("90071992547409.93"), Decimal("0.07")], pa.decimal128(18, 2))
    assert b'"TX_AMOUNT":90071992547409.93,' in parquet(exact)[0]
    with pytest.raises(FileFormatError, match=re.escape("TX_AMOUNT 2.675 is not an amount")):
        parquet(pa.array([1.0, 2.675]))
    with pytest.raises(
        FileFormatError, match=re.escape("TX_AMOUNT Decimal('1.005') is not an amount")
    ):
        parquet(pa.array([Decimal("1.005"), Decimal("1")], pa.decimal128(18, 3)))


def test_replay_refuses_the_file_in_one_line_and_sends_nothing(tmp_path, capsys):
    path = csv(tmp_path, "1,2026-11-28 10:00:00,7,9,1.005,1,0")
    code = producer(["replay", str(path), "--endpoint-url", "http://127.0.0.1:9"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "TX_AMOUNT '1.005'" in err
