"""The fraud team's reports: each fraud's label goes to the feedback stream once the
publishing clock passes its transaction's time plus the delay (cardholders and chargebacks
report days later). Only frauds are reported (TX_FRAUD 1); a transaction with no report by
then counts as genuine downstream. Labels never travel on the transaction stream.

The clock is the caller's: wall-clock time for live streaming, the replayed TX_DATETIME for a
replay, so that a month replayed at full speed carries its reports in order. With
``jitter``, each fraud's delay is drawn uniformly in (0, delay], seeded per transaction id:
the same delays whatever the order or pace of publishing.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from producer.records import Record, format_utc

if TYPE_CHECKING:
    import pandas as pd

    from producer.outcomes import Outcomes
    from producer.publish import Publisher

_TEMPLATE = '{"TRANSACTION_ID":%d,"TX_FRAUD":1,"REPORTED_AT":"%s"}'


def report_record(transaction_id: int, reported_at: dt.datetime) -> Record:
    """The feedback stream's record of a confirmed fraud, keyed by its transaction id."""
    data = (_TEMPLATE % (transaction_id, format_utc(reported_at))).encode()
    return Record(partition_key=str(transaction_id), data=data, transaction_id=transaction_id)


class FeedbackSchedule:
    """Reports waiting for the clock, soonest first."""

    def __init__(self, delay_days: float, jitter: bool = False, seed: int | None = None):
        if not delay_days > 0:
            raise ValueError("the feedback delay must be positive")
        self._delay = dt.timedelta(days=delay_days)
        self._jitter = jitter
        self._seed = 0 if seed is None else seed
        self._waiting: list[tuple[dt.datetime, int]] = []

    def __len__(self) -> int:
        return len(self._waiting)

    def delay_of(self, transaction_id: int) -> dt.timedelta:
        if not self._jitter:
            return self._delay
        draw = np.random.default_rng([self._seed, transaction_id]).uniform()
        return (1.0 - draw) * self._delay  # in (0, delay]

    def add(self, transaction_id: int, tx_datetime: dt.datetime) -> None:
        """A fraud at ``tx_datetime`` (timezone-aware), reported after its delay."""
        due = tx_datetime + self.delay_of(transaction_id)
        heapq.heappush(self._waiting, (due, transaction_id))

    def due(self, clock: dt.datetime) -> list[Record]:
        """The reports whose time the clock has reached, oldest first, taken off the schedule."""
        records = []
        while self._waiting and self._waiting[0][0] <= clock:
            reported_at, transaction_id = heapq.heappop(self._waiting)
            records.append(report_record(transaction_id, reported_at))
        return records


class FeedbackSender:
    """Sends the schedule's reports to the feedback stream as the transactions go out: before
    each transaction, the reports its clock has made due (with the publisher's retries; a
    report given up goes to --failed-out, as a transaction would)."""

    def __init__(self, publisher: Publisher, schedule: FeedbackSchedule, outcomes: Outcomes):
        self.publisher = publisher
        self.schedule = schedule
        self.outcomes = outcomes
        self.sent = 0
        self.failed = 0

    def _send_due(self, clock: dt.datetime) -> None:
        due = self.schedule.due(clock)
        if due:
            stats = self.publisher.publish(due, on_outcome=self.outcomes.record_report)
            self.sent += stats.sent
            self.failed += stats.failed

    def live(self, records: Iterable[Record], truth: dict[int, tuple[int, int]]):
        """Live records (labels in ``truth`` as each is handed over), on the wall clock."""
        for record in records:
            now = dt.datetime.now(dt.UTC)
            if truth[record.transaction_id][0] == 1:
                self.schedule.add(record.transaction_id, now)
            self._send_due(now)
            yield record

    def replayed(self, records: Iterable[Record], frame: pd.DataFrame):
        """A replayed file's records, in its order, on the clock of their TX_DATETIME; the
        frauds are the file's rows with TX_FRAUD 1."""
        times = frame["TX_DATETIME"].dt.tz_localize(dt.UTC)
        frauds = frame["TX_FRAUD"].to_numpy() == 1
        for transaction_id, at in zip(
            frame["TRANSACTION_ID"].to_numpy()[frauds].tolist(), times[frauds], strict=True
        ):
            self.schedule.add(transaction_id, at.to_pydatetime())
        for record, at in zip(records, times, strict=True):
            self._send_due(at.to_pydatetime())
            yield record
