"""The delivery marks, kept in the warehouse beside the queue (the model
fraud_alert_deliveries), read and moved through dbt."""

from __future__ import annotations

import json
from typing import Protocol

from common.errors import UserError
from fraud_detection.alerts.alert import Mark, iso
from fraud_detection.dbt_session import LIGHT_COMMAND_FLAGS, DbtParseError, WarehouseBusyError

MARKS_SQL = (
    "select sink, delivered_through_queued_at, delivered_through_transaction_id "
    "from {{ ref('fraud_alert_deliveries') }}"
)


class Marks(Protocol):
    def load(self) -> dict[str, Mark | None]: ...

    def save(self, marks: dict[str, Mark | None]) -> None: ...


class WarehouseMarks:
    """Marks in the warehouse; `dbt` is a DbtSession (query, invoke)."""

    def __init__(self, dbt) -> None:
        self.dbt = dbt

    def load(self) -> dict[str, Mark | None]:
        try:
            rows = self.dbt.query(MARKS_SQL)
        except (WarehouseBusyError, DbtParseError):
            raise
        except UserError as error:
            raise UserError(
                "cannot read the alert delivery marks (the model fraud_alert_deliveries): "
                f"run `dbt build` first ({error})"
            ) from None
        return {row["sink"]: _mark(row) for row in rows}

    def save(self, marks: dict[str, Mark | None]) -> None:
        entries = [
            {
                "sink": sink,
                "queued_at": None if mark is None else mark.queued_at.rstrip("Z").replace("T", " "),
                "transaction_id": None if mark is None else str(mark.transaction_id),
            }
            for sink, mark in sorted(marks.items())
        ]
        self.dbt.invoke(
            [
                "run-operation",
                "record_alert_deliveries",
                "--args",
                json.dumps({"marks": entries}),
                "--log-level",
                "none",
                *LIGHT_COMMAND_FLAGS,
            ],
            quiet=False,
        )


def _mark(row: dict) -> Mark | None:
    if row["delivered_through_queued_at"] is None:
        return None  # from the start of the queue
    return Mark(
        iso(row["delivered_through_queued_at"]), int(row["delivered_through_transaction_id"])
    )
