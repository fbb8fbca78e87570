"""One alert as the sinks send it, and the mark that orders the queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

ALERT_COLUMNS = (
    "transaction_id",
    "tx_datetime",
    "approximate_arrival_timestamp",
    "customer_id",
    "full_name",
    "email_address",
    "phone_number",
    "tx_amount",
    "terminal_id",
    "fraud_probability",
    "_queued_at",
)


@dataclass(frozen=True, order=True)
class Mark:
    """A place in the queue: the alerts after it are (queued_at, transaction_id) greater."""

    queued_at: str  # ISO 8601, UTC, microseconds, with a Z
    transaction_id: int

    def where(self) -> str:
        """The SQL condition for the alerts queued after this mark."""
        at = self.queued_at.rstrip("Z").replace("T", " ")
        return (
            f"(_queued_at > cast('{at}' as timestamp) or (_queued_at = cast('{at}' as timestamp)"
            f" and transaction_id > {int(self.transaction_id)}))"
        )


@dataclass(frozen=True)
class Alert:
    transaction_id: str
    tx_datetime: str
    approximate_arrival_timestamp: str
    customer_id: int
    full_name: str | None
    email_address: str | None
    phone_number: str | None
    tx_amount: str
    terminal_id: int
    fraud_probability: float
    queued_at: str
    alerted_at: str

    @classmethod
    def from_row(cls, row: dict, alerted_at: dt.datetime) -> Alert:
        return cls(
            transaction_id=str(int(row["transaction_id"])),
            tx_datetime=iso(row["tx_datetime"]),
            approximate_arrival_timestamp=iso(row["approximate_arrival_timestamp"]),
            customer_id=int(row["customer_id"]),
            full_name=row["full_name"],
            email_address=row["email_address"],
            phone_number=row["phone_number"],
            tx_amount=f"{Decimal(str(row['tx_amount'])):.2f}",
            terminal_id=int(row["terminal_id"]),
            fraud_probability=round(float(row["fraud_probability"]), 4),
            queued_at=iso(row["_queued_at"]),
            alerted_at=iso(alerted_at),
        )

    @property
    def mark(self) -> Mark:
        return Mark(self.queued_at, int(self.transaction_id))

    def line(self) -> str:
        """One line for a person: who to call, what happened, how sure the model is."""
        when = self.tx_datetime[11:19]
        return (
            f"FRAUD ALERT {when} tx {self.transaction_id}: {self.tx_amount} at terminal "
            f"{self.terminal_id}, p={self.fraud_probability:.2f} - call {self.full_name} "
            f"{self.phone_number} <{self.email_address}>"
        )


def iso(value) -> str:
    """A UTC timestamp as ISO 8601 (the warehouse's timestamps are UTC without a zone)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.rstrip("Z"))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds") + "Z"
    return str(value)
