"""Alerts: each transaction predicted fraudulent, delivered once to the sinks configured.

The warehouse keeps the queue: the dbt model `fraud_alerts` adds each predicted fraud once,
stamped `_queued_at` with the run that queued it. The delivery here sends the rows queued
after the newest ones it sent before (kept in a small state file), then moves that mark on:
an alert is sent once, and after a crash between sending and saving the mark, the last batch
is sent again rather than lost (at least once, never silently dropped).

Sinks: the terminal, a JSON-lines file, and an Amazon SNS topic (boto3). Transaction ids go
out as strings: live ids pass 2**53, beyond what a JSON reader in JavaScript keeps exact.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TextIO

from producer.errors import ProducerError

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
            tx_datetime=_iso(row["tx_datetime"]),
            approximate_arrival_timestamp=_iso(row["approximate_arrival_timestamp"]),
            customer_id=int(row["customer_id"]),
            full_name=row["full_name"],
            email_address=row["email_address"],
            phone_number=row["phone_number"],
            tx_amount=f"{Decimal(str(row['tx_amount'])):.2f}",
            terminal_id=int(row["terminal_id"]),
            fraud_probability=round(float(row["fraud_probability"]), 4),
            queued_at=_iso(row["_queued_at"]),
            alerted_at=_iso(alerted_at),
        )

    def line(self) -> str:
        """One line for a person: who to call, what happened, how sure the model is."""
        when = self.tx_datetime[11:19]
        return (
            f"FRAUD ALERT {when} tx {self.transaction_id}: {self.tx_amount} at terminal "
            f"{self.terminal_id}, p={self.fraud_probability:.2f} - call {self.full_name} "
            f"{self.phone_number} <{self.email_address}>"
        )


def _iso(value) -> str:
    """A UTC timestamp as ISO 8601 (the warehouse's timestamps are UTC without a zone)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds") + "Z"
    return str(value)


class Sink(Protocol):
    def send(self, alerts: Sequence[Alert]) -> None: ...


class TerminalSink:
    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    def send(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            self.out.write(alert.line() + "\n")
        self.out.flush()


class JsonLinesSink:
    """Appends one JSON object per alert, flushed with each batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def send(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        with self.path.open("a") as out:
            for alert in alerts:
                out.write(json.dumps(asdict(alert)) + "\n")


class SnsSink:
    """Publishes each alert to an SNS topic (subject and a JSON message, batches of 10)."""

    def __init__(self, client, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    def send(self, alerts: Sequence[Alert]) -> None:
        for start in range(0, len(alerts), 10):  # PublishBatch takes at most 10 entries
            batch = alerts[start : start + 10]
            response = self.client.publish_batch(
                TopicArn=self.topic_arn,
                PublishBatchRequestEntries=[
                    {
                        "Id": alert.transaction_id,
                        "Subject": f"Card fraud suspected: transaction {alert.transaction_id}",
                        "Message": json.dumps(asdict(alert)),
                    }
                    for alert in batch
                ],
            )
            if response.get("Failed"):
                failed = response["Failed"][0]
                raise ProducerError(
                    f"SNS refused {len(response['Failed'])} alert(s), e.g. {failed['Id']}: "
                    f"{failed.get('Code')} {failed.get('Message', '')}".strip()
                )


class DeliveryState:
    """The `_queued_at` of the newest alerts delivered, kept in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> str | None:
        try:
            return json.loads(self.path.read_text())["delivered_through"]
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            raise ProducerError(f"alert state file {self.path} is not valid: remove it") from None

    def save(self, queued_at: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps({"delivered_through": queued_at}) + "\n")
        partial.replace(self.path)


def pending_alerts_sql(delivered_through: str | None) -> str:
    """The queued alerts not delivered yet, oldest first (dbt Jinja, for DbtSession.query)."""
    where = ""
    if delivered_through is not None:
        mark = delivered_through.rstrip("Z").replace("T", " ")
        where = f"where _queued_at > cast('{mark}' as timestamp)"
    return (
        f"select {', '.join(ALERT_COLUMNS)} from {{{{ ref('fraud_alerts') }}}} {where} "
        "order by _queued_at, tx_datetime, transaction_id"
    )


class AlertDelivery:
    """Sends the alerts queued since the last delivery to every sink, then moves the mark."""

    def __init__(self, sinks: Iterable[Sink], state: DeliveryState) -> None:
        self.sinks = list(sinks)
        self.state = state
        self.delivered = 0

    def deliver(self, query) -> list[Alert]:
        """``query(sql) -> rows``; returns the alerts sent."""
        rows = query(pending_alerts_sql(self.state.load()))
        if not rows:
            return []
        now = dt.datetime.now(dt.UTC)
        alerts = [Alert.from_row(row, now) for row in rows]
        for sink in self.sinks:
            sink.send(alerts)
        self.state.save(max(alert.queued_at for alert in alerts))
        self.delivered += len(alerts)
        return alerts


def build_delivery(
    state_path: Path,
    alerts_out: Path | None = None,
    sns_topic_arn: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    terminal: TextIO = sys.stdout,
) -> AlertDelivery:
    """The terminal, plus a JSON-lines file and an SNS topic when given."""
    sinks: list[Sink] = [TerminalSink(terminal)]
    if alerts_out is not None:
        sinks.append(JsonLinesSink(alerts_out))
    if sns_topic_arn:
        import boto3

        session = boto3.Session(profile_name=profile, region_name=region)
        sinks.append(SnsSink(session.client("sns"), sns_topic_arn))
    return AlertDelivery(sinks, DeliveryState(state_path))
