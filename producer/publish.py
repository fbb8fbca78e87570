"""Publishing records to a Kinesis data stream with PutRecords.

- A batch holds at most 500 records and ``max_batch_bytes`` (data plus partition keys).
- A batch holds at most one record per partition key, and a record is only sent once every
  earlier record of its key was accepted or given up: so per-key order survives partial
  failures (a resent entry never lands after a later entry of its key).
- Only the entries PutRecords reports with an ErrorCode are resent, matched by position
  against the batch that was sent, after a capped, fully jittered exponential backoff; an
  entry that fails ``max_attempts`` times is given up.
- An outage of the endpoint (no connection, a timeout, a 5xx answer) is waited out with the same
  backoff, without counting attempts, for up to ``max_outage`` seconds; then everything held is
  given up.
- ``on_outcome(record, given_up)`` hears of each record once, as soon as the stream accepted it
  (``given_up`` None) or it was given up: the caller writes labels and failed records then, so
  that a kill leaves at most the records in flight unaccounted for.
"""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from common.backoff import full_jitter_delay
from producer.records import Record

MAX_RECORDS_PER_REQUEST = 500
MAX_BYTES_PER_REQUEST = 5 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1024 * 1024
# Paced batches carry about this much time worth of records (the KPL's default buffering).
PACED_BATCH_SECONDS = 0.1
# Whole-request errors worth retrying like a failed entry; anything else is raised.
RETRYABLE_REQUEST_ERRORS = {
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "ThrottlingException",
    "InternalFailure",
    "ServiceUnavailable",
    "KMSThrottlingException",
}


@dataclass(frozen=True)
class GivenUp:
    """A record the publisher stopped trying to send, with the stream's last word on it."""

    record: Record
    error_code: str
    error_message: str
    attempts: int


@dataclass
class PublishStats:
    sent: int = 0  # accepted by the stream
    retried: int = 0  # entries sent again after a failure
    failed: int = 0  # given up
    requests: int = 0
    outage_retries: int = 0  # requests sent again while the endpoint was out
    seconds: float = 0.0
    given_up: list[GivenUp] = field(default_factory=list, repr=False)

    @property
    def records_per_second(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Pending:
    record: Record
    attempts: int = 0
    last_error: tuple[str, str] = ("", "")


# How far behind its pace a paced publisher may fall and still catch up (send faster than
# the rate); further behind, it goes on at the rate from where it is.
MAX_CATCH_UP_SECONDS = 1.0


class Publisher:
    """Sends records to one stream through an injected boto3 Kinesis client."""

    def __init__(
        self,
        client,
        stream_name: str,
        *,
        max_batch_records: int = MAX_RECORDS_PER_REQUEST,
        max_batch_bytes: int = MAX_BYTES_PER_REQUEST,
        max_attempts: int = 8,
        max_outage: float = 60.0,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
        rng: np.random.Generator | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not 1 <= max_batch_records <= MAX_RECORDS_PER_REQUEST:
            raise ValueError(f"max_batch_records must be 1..{MAX_RECORDS_PER_REQUEST}")
        if not 1 <= max_batch_bytes <= MAX_BYTES_PER_REQUEST:
            raise ValueError(f"max_batch_bytes must be 1..{MAX_BYTES_PER_REQUEST}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._stream = stream_name
        self._max_records = max_batch_records
        self._max_bytes = max_batch_bytes
        self._max_attempts = max_attempts
        self._max_outage = max_outage
        self._outage_since: float | None = None
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._rng = rng if rng is not None else np.random.default_rng()
        self._sleep = sleep
        self._clock = clock

    def paced_batch_size(self, rate: float) -> int:
        """Records per request at ``rate`` records/s: about PACED_BATCH_SECONDS worth."""
        return max(1, min(self._max_records, round(rate * PACED_BATCH_SECONDS)))

    def publish(
        self,
        records: Iterable[Record],
        *,
        rate: float | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[PublishStats], None] = lambda stats: None,
        on_outcome: Callable[[Record, GivenUp | None], None] = lambda record, given_up: None,
    ) -> PublishStats:
        """Send every record (or until ``should_stop``), at ``rate`` records/s if given.

        Once ``should_stop`` answers True no more records are taken from ``records``; those
        already taken (at most two batches) are still sent, retries included.
        """
        stats = PublishStats()
        self._on_outcome = on_outcome
        source = iter(records)
        pending: collections.deque[_Pending] = collections.deque()
        batch_limit = self.paced_batch_size(rate) if rate else self._max_records
        # Paced: hold one batch at a time, taken when it is due. Unpaced: two batches, so
        # that records held back for a repeated key do not leave the next request short.
        buffer_target = batch_limit if rate else 2 * batch_limit
        started = self._clock()
        paced_from = started  # the pacing's origin: moved on after a stall, never bursting
        taken = 0
        exhausted = False
        while True:
            if not exhausted and not should_stop():
                wanted = buffer_target - len(pending)
                if rate and wanted > 0:
                    delay = paced_from + (taken + wanted) / rate - self._clock()
                    if delay < -MAX_CATCH_UP_SECONDS:
                        # Held up (an outage waited out, the process paused): go on at the
                        # rate from here rather than send the backlog at full speed.
                        paced_from -= delay + MAX_CATCH_UP_SECONDS
                    elif delay > 0:
                        self._sleep(delay)
                added, exhausted = _fill(pending, source, buffer_target)
                taken += added
            if not pending:
                break
            batch = self._take_batch(pending, batch_limit, stats)
            if batch:
                try:
                    failures = self._send(batch, stats)
                except ClientError as error:
                    # Retrying cannot fix it (a deleted stream, no permission): what was taken
                    # is given up with the reason, so each record is either labelled or in
                    # --failed-out, then the error goes on to the caller.
                    code = error.response.get("Error", {}).get("Code", "")
                    message = error.response.get("Error", {}).get("Message", "")
                    for item in [*batch, *pending]:
                        self._give_up(item, code, message, stats)
                    pending.clear()
                    raise
                if failures is None:  # the endpoint is out: wait, or give everything up
                    self._wait_out_outage(batch, pending, stats)
                elif failures:
                    self._requeue(failures, pending, stats)
            on_progress(stats)
        stats.seconds = self._clock() - started
        return stats

    def _take_batch(
        self, pending: collections.deque[_Pending], limit: int, stats: PublishStats
    ) -> list[_Pending]:
        """The first sendable records of ``pending``, one per key, removed from it."""
        batch: list[_Pending] = []
        skipped: list[_Pending] = []
        keys: set[str] = set()
        size = 0
        while pending and len(batch) < limit:
            item = pending.popleft()
            record = item.record
            record_size = len(record.data) + len(record.partition_key.encode())
            if record_size > MAX_BYTES_PER_RECORD:
                self._give_up(item, "RecordTooLarge", f"{record_size} bytes > 1 MiB", stats)
                continue
            if batch and size + record_size > self._max_bytes:
                skipped.append(item)
                break
            if record.partition_key in keys:
                skipped.append(item)
                continue
            keys.add(record.partition_key)
            size += record_size
            batch.append(item)
        pending.extendleft(reversed(skipped))
        return batch

    def _send(self, batch: list[_Pending], stats: PublishStats) -> list[_Pending] | None:
        """PutRecords once; the entries that failed, with their error recorded (None when the
        endpoint is out: nothing of the batch was sent)."""
        entries = [
            {"Data": item.record.data, "PartitionKey": item.record.partition_key} for item in batch
        ]
        for item in batch:
            if item.attempts:
                stats.retried += 1
            item.attempts += 1
        stats.requests += 1
        try:
            response = self._client.put_records(StreamName=self._stream, Records=entries)
        except (BotocoreConnectionError, HTTPClientError) as error:
            self._note_outage(batch, type(error).__name__, str(error))
            return None
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message", "")
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                self._note_outage(batch, code, message)
                return None
            if code not in RETRYABLE_REQUEST_ERRORS:
                raise
            for item in batch:
                item.last_error = (code, message)
            return batch
        self._outage_since = None
        results = response["Records"]
        if len(results) != len(batch):
            raise RuntimeError(
                f"PutRecords answered {len(results)} results for {len(batch)} records"
            )
        failures = []
        for item, result in zip(batch, results, strict=True):
            if "ErrorCode" in result:
                item.last_error = (result["ErrorCode"], result.get("ErrorMessage", ""))
                failures.append(item)
            else:
                stats.sent += 1
                self._on_outcome(item.record, None)
        return failures

    def _note_outage(self, batch: list[_Pending], code: str, message: str) -> None:
        if self._outage_since is None:
            self._outage_since = self._clock()
        for item in batch:
            item.attempts -= 1  # an outage is not the record's failure
            item.last_error = (code, message)

    def _wait_out_outage(
        self, batch: list[_Pending], pending: collections.deque[_Pending], stats: PublishStats
    ) -> None:
        """Back off and send the batch again, until the outage passes or outlasts max_outage."""
        pending.extendleft(reversed(batch))
        if self._clock() - self._outage_since > self._max_outage:
            code, message = batch[0].last_error
            while pending:
                self._give_up(pending.popleft(), code, f"endpoint out: {message}", stats)
            return
        stats.outage_retries += 1
        self._sleep(self._delay(stats.outage_retries + 1))

    def _requeue(
        self, failures: list[_Pending], pending: collections.deque[_Pending], stats: PublishStats
    ) -> None:
        """Give up on exhausted entries; put the rest first in line, after a backoff."""
        retry = []
        for item in failures:
            if item.attempts >= self._max_attempts:
                self._give_up(item, *item.last_error, stats)
            else:
                retry.append(item)
        if not retry:
            return
        pending.extendleft(reversed(retry))
        self._sleep(self._delay(max(item.attempts for item in retry)))

    def _delay(self, attempt: int) -> float:
        return full_jitter_delay(self._rng.uniform, self._base_delay, self._max_delay, attempt)

    def _give_up(self, item: _Pending, code: str, message: str, stats: PublishStats) -> None:
        stats.failed += 1
        given_up = GivenUp(item.record, code, message, item.attempts)
        stats.given_up.append(given_up)
        self._on_outcome(item.record, given_up)


def _fill(
    pending: collections.deque[_Pending], source: Iterator[Record], target: int
) -> tuple[int, bool]:
    """Top ``pending`` up to ``target`` from ``source``: (records added, source exhausted)."""
    added = 0
    while len(pending) < target:
        record = next(source, None)
        if record is None:
            return added, True
        pending.append(_Pending(record))
        added += 1
    return added, False


def given_up_line(item: GivenUp) -> str:
    """A given-up record as one JSON line of --failed-out, enough to send it again."""
    return (
        json.dumps(
            {
                "partition_key": item.record.partition_key,
                "data": item.record.data.decode(),
                "error_code": item.error_code,
                "error_message": item.error_message,
                "attempts": item.attempts,
            }
        )
        + "\n"
    )
