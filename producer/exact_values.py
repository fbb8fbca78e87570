"""A history file's values, read exactly as the stream's columns hold them, or refused.

replay sends what the file holds: an id the warehouse keeps as a bigint, an amount as
decimal(18, 2), a time to the microsecond. A value its column cannot hold exactly (1.7 or 1e20
as an id, an amount of inf or with a third decimal, a time with nanoseconds) is refused with
its row and column, before anything is sent: rounding it would change the transaction
silently. Each reader takes a pyarrow column and returns numpy values, or the position of the
first value it refuses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

BIGINT_MAX = 2**63 - 1
DOUBLE_EXACT = 2**53  # the largest integer range a binary double holds without gaps
MAX_CENTS = 10**18 - 1  # decimal(18, 2)
INTEGER_TEXT = r"\s*-?[0-9]{1,19}\s*"
AMOUNT_TEXT = r"\s*-?[0-9]{1,16}(\.[0-9]{0,2})?\s*"


class InexactValue(ValueError):
    """The first value of a column that its stream column cannot hold exactly."""

    def __init__(self, position: int, value: object, why: str) -> None:
        super().__init__(why)
        self.position, self.value, self.why = position, value, why


def _first_bad(ok: np.ndarray, column: pa.ChunkedArray, why: str) -> None:
    if not ok.all():
        position = int(np.argmin(ok))
        raise InexactValue(position, column[position].as_py(), why)


def integers(column: pa.ChunkedArray) -> np.ndarray:
    """A bigint column's values; refuses fractions, and numbers outside a bigint or beyond what
    a double held exactly."""
    kind = column.type
    why = "is not an integer a bigint holds"
    if pa.types.is_integer(kind):
        values = column.to_numpy()
        if pa.types.is_unsigned_integer(kind):
            _first_bad(values <= BIGINT_MAX, column, why)
        return values.astype(np.int64)
    if pa.types.is_floating(kind):
        values = column.to_numpy()
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(values) & (np.floor(values) == values)
            ok &= np.abs(np.where(ok, values, 0)) <= DOUBLE_EXACT
        _first_bad(ok, column, why)
        return values.astype(np.int64)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pd.Series(column.to_pandas(), dtype=object).fillna("").str.strip()
        digits = text.str.lstrip("-")
        ok = text.str.fullmatch(INTEGER_TEXT) & (
            (digits.str.len() < 19) | (digits <= str(BIGINT_MAX))
        )
        _first_bad(ok.to_numpy(dtype=bool), column, why)
        return text.astype(np.int64).to_numpy()
    if pa.types.is_decimal(kind):
        ok = pc.equal(pc.round(column, 0), column).to_numpy(zero_copy_only=False)
        _first_bad(ok, column, why)
        return integers(column.cast(pa.float64())) if len(column) else np.empty(0, np.int64)
    raise InexactValue(0, str(kind), f"has the type {kind}, not integers")


def cents(column: pa.ChunkedArray) -> np.ndarray:
    """An amount column as integer cents; refuses non-finite amounts, a third decimal, and
    amounts beyond decimal(18, 2)."""
    kind = column.type
    why = "is not an amount decimal(18, 2) holds (at most 16 digits, then 2 decimals)"
    if pa.types.is_decimal(kind):
        ok = pc.equal(pc.round(column, 2), column).to_numpy(zero_copy_only=False)
        _first_bad(ok, column, why)
        widened = column.cast(pa.decimal128(38, 2))
        return _decimal_cents(widened)
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        values = column.to_numpy().astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            scaled = np.rint(values * 100)
            # The amount is the double nearest to its cents / 100: 1.005 (1.00499...) is not.
            ok = np.isfinite(values) & (scaled / 100 == values) & (np.abs(scaled) <= MAX_CENTS)
        _first_bad(ok, column, why)
        return scaled.astype(np.int64)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pd.Series(column.to_pandas(), dtype=object).fillna("").str.strip()
        _first_bad(text.str.fullmatch(AMOUNT_TEXT).to_numpy(dtype=bool), column, why)
        whole, _, part = text.str.lstrip("-").str.partition(".").T.to_numpy()
        sign = np.where(text.str.startswith("-"), -1, 1)
        fraction = pd.Series(part, dtype=object).str.ljust(2, "0").astype(np.int64)
        return sign * (pd.Series(whole).astype(np.int64).to_numpy() * 100 + fraction.to_numpy())
    raise InexactValue(0, str(kind), f"has the type {kind}, not amounts")


def _decimal_cents(column: pa.ChunkedArray) -> np.ndarray:
    """decimal128(38, 2) values as cents: their unscaled 128-bit integers, whose low word
    holds them whole below 10^18."""
    array = column.combine_chunks()
    words = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset * 2 :]
    return words[0 : 2 * len(array) : 2].copy()


def microseconds(column: pa.ChunkedArray) -> pd.Series:
    """A timestamp column (timestamps or ISO 8601 text) as UTC wall-clock times; refuses text
    that is no time, and times finer than a microsecond."""
    kind = column.type
    if pa.types.is_timestamp(kind):
        times = pd.Series(column.to_pandas())
        if times.dt.tz is not None:
            times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        text = pd.Series(column.to_pandas(), dtype=object).astype(str)
        times = pd.to_datetime(text, format="ISO8601", errors="coerce")
        _first_bad(
            times.notna().to_numpy(),
            column,
            "is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])",
        )
    finer = times.dt.nanosecond.to_numpy() != 0
    _first_bad(~finer, column, "is finer than a microsecond")
    return times
