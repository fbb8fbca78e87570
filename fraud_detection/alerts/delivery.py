"""Delivery: each sink is sent the queued alerts after its own mark, then the marks move.

A sink that fails is retried with a capped, jittered backoff (1 s, 2 s, 4 s ... up to 60 s)
while the others go on; `failures` holds the current failure of each failing sink, naming the
sink and its endpoint.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from fraud_detection.alerts.alert import ALERT_COLUMNS, Alert, Mark
from fraud_detection.alerts.marks import Marks, WarehouseMarks
from fraud_detection.alerts.sinks import JsonLinesSink, Sink, SnsSink, TerminalSink

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0


def pending_alerts_sql(since: Mark | None) -> str:
    """The queued alerts after a mark, in the queue's order (dbt Jinja, for DbtSession.query)."""
    where = "" if since is None else f"where {since.where()} "
    return (
        f"select {', '.join(ALERT_COLUMNS)} from {{{{ ref('fraud_alerts') }}}} {where}"
        "order by _queued_at, transaction_id"
    )


@dataclass
class SinkState:
    sink: Sink
    mark: Mark | None
    failures: int = 0
    retry_at: float = 0.0

    def pending(self, alerts: Sequence[Alert]) -> list[Alert]:
        return [alert for alert in alerts if self.mark is None or alert.mark > self.mark]


class AlertDelivery:
    """Sends each sink the alerts queued after its mark; `deliver` returns the alerts that
    reached a sink for the first time."""

    def __init__(
        self,
        sinks: Iterable[Sink],
        marks: Marks,
        log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sinks = list(sinks)
        self.marks = marks
        self.log = log
        self.clock = clock
        self.failures: dict[str, str] = {}
        self._states: list[SinkState] | None = None

    def states(self) -> list[SinkState]:
        """Each sink's mark: the warehouse's, or the sink's own records' when they are ahead;
        a sink seen for the first time starts at the newest mark of the others."""
        if self._states is None:
            stored = self.marks.load()
            newest = max((mark for mark in stored.values() if mark is not None), default=None)
            states, changed = [], {}
            for sink in self.sinks:
                mark = stored.get(sink.name, newest)
                own = sink.last_mark()
                if own is not None and (mark is None or own > mark):
                    mark = own
                if sink.name not in stored or mark != stored[sink.name]:
                    changed[sink.name] = mark
                states.append(SinkState(sink, mark))
            if changed:
                self.marks.save(changed)
            self._states = states
        return self._states

    def deliver(self, query: Callable[[str], list[dict]]) -> list[Alert]:
        """``query(sql) -> rows``. Sends what each due sink has not taken, then saves marks."""
        now = self.clock()
        due = [state for state in self.states() if state.retry_at <= now]
        if not due:
            return []
        marks = [state.mark for state in due]
        since = None if None in marks else min(marks)
        rows = query(pending_alerts_sql(since))
        if not rows:
            return []
        alerted_at = dt.datetime.now(dt.UTC)
        alerts = [Alert.from_row(row, alerted_at) for row in rows]
        taken = [state.mark for state in self.states() if state.mark is not None]
        newest_before = max(taken, default=None)  # what some sink took before this call
        moved: dict[str, Mark | None] = {}
        for state in due:
            if self._send(state, state.pending(alerts)):
                moved[state.sink.name] = state.mark
        if not moved:
            return []
        self.marks.save(moved)
        reached = max(mark for mark in moved.values() if mark is not None)
        return [
            alert
            for alert in alerts
            if (newest_before is None or alert.mark > newest_before) and alert.mark <= reached
        ]

    def _send(self, state: SinkState, alerts: list[Alert]) -> bool:
        """Sends in the sink's batches, moving its mark after each; False if nothing went."""
        sent = False
        for start in range(0, len(alerts), state.sink.batch_size):
            batch = alerts[start : start + state.sink.batch_size]
            try:
                state.sink.send(batch)
            except Exception as error:  # any failure of a sink: retried, the others go on
                self._failed(state, error)
                return sent
            state.mark, sent = batch[-1].mark, True
        if state.failures:
            self.log(f"alert sink {state.sink.name} ({state.sink.endpoint}) recovered")
        state.failures, state.retry_at = 0, 0.0
        self.failures.pop(state.sink.name, None)
        return sent

    def _failed(self, state: SinkState, error: Exception) -> None:
        state.failures += 1
        backoff = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (state.failures - 1))
        delay = backoff * random.uniform(0.5, 1.0)
        state.retry_at = self.clock() + delay
        reason = " ".join(str(error).split()) or type(error).__name__
        message = f"alert sink {state.sink.name} ({state.sink.endpoint}) failed: {reason}"
        self.failures[state.sink.name] = message
        self.log(f"{message}; retrying in {delay:.0f} s, the other sinks go on")


def build_delivery(
    dbt,
    alerts_out=None,
    sns_topic_arn: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    terminal: TextIO = sys.stdout,
) -> AlertDelivery:
    """The terminal, plus a JSON-lines file and an SNS topic when given; marks in the
    warehouse that `dbt` (a DbtSession) reads."""
    sinks: list[Sink] = [TerminalSink(terminal)]
    if alerts_out is not None:
        sinks.append(JsonLinesSink(alerts_out))
    if sns_topic_arn:
        import boto3

        from producer.arguments import arn_region

        session = boto3.Session(
            profile_name=profile, region_name=region or arn_region(sns_topic_arn)
        )
        sinks.append(SnsSink(session.client("sns"), sns_topic_arn))
    return AlertDelivery(sinks, WarehouseMarks(dbt))
