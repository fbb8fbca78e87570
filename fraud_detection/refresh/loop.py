"""The auto-refresh loop: the local counterpart of the streaming view's AUTO REFRESH YES.

Every `interval` seconds one cycle runs the dbt selector `refresh_cycle` (the streaming view's
refresh, then the incremental models that score the new transactions and queue their
alerts), then delivers the new alerts. Between cycles nothing holds the warehouse: locally
the DuckDB file is closed, so `dbt show` from another terminal can read the predictions. If
another process holds the file when a cycle starts, the cycle waits and tries again.

On Redshift the view refreshes itself; the same loop then runs only the incremental models
and the alert delivery (`--target redshift`).

Locally the loop can also retrain the model on a schedule (``Retraining``): each time the
stream's clock (its newest transaction) has moved on by the given days, it rebuilds the
training set, which then holds the labels the feedback stream brought, and the model on its
sliding window (the var training_days); the gate decides whether the new version serves.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from common.backoff import full_jitter_delay
from fraud_detection.alerts.delivery import AlertDelivery
from fraud_detection.dbt_session import DbtError, DbtSession, WarehouseBusyError

SELECTOR = "refresh_cycle"
# A cycle writes no JSON artifacts: dbt would write target/manifest.json (1.4 MB) and
# run_results.json every cycle, 0.14 to 0.44 s of an idle cycle in two interleaved runs here;
# the loop reads what each model did from dbt's result, in this process.
CYCLE_COMMAND = ("run", "--selector", SELECTOR, "--no-write-json", "--log-level", "none")
# An outage is waited out with capped, fully jittered backoff (common.backoff): the first
# retry within half a second, none more than 30 s apart.
RETRY_BASE_SECONDS = 0.5
RETRY_CAP_SECONDS = 30.0
# What passes, by a phrase of the error the cycle ended with, and what to call it: the
# project's own messages (fraud_detection.plugins.kinesis_reader) and the operating system's.
OUTAGES = (
    ("cannot reach Kinesis", "Kinesis cannot be reached"),
    ("does not exist at", "the Kinesis stream does not exist"),
    ("No space left on device", "the disk is full"),
)
BUSY = "the warehouse file is busy (another process has it open)"


class OutageError(DbtError):
    """An outage outlasted the loop's max_outage."""


def outage_of(error: DbtError) -> str | None:
    """What the outage that ended a cycle is, or None when the error is not one that passes."""
    if isinstance(error, WarehouseBusyError):
        return BUSY
    return next((name for phrase, name in OUTAGES if phrase in str(error)), None)


@dataclass
class CycleStats:
    cycles: int = 0
    alerts: int = 0
    busy_retries: int = 0
    outage_retries: int = 0
    cycle_seconds: list[float] = field(default_factory=list)

    def summary(self) -> str:
        cycles = sorted(self.cycle_seconds)
        median = cycles[len(cycles) // 2] if cycles else 0.0
        return (
            f"{self.cycles:,} refresh cycles (median {median:.2f} s), {self.alerts:,} alerts "
            f"raised, {self.busy_retries:,} waits for the busy warehouse, "
            f"{self.outage_retries:,} retries through outages"
        )


def refresh_once(dbt: DbtSession, delivery: AlertDelivery | None, stats: CycleStats) -> None:
    """One cycle: refresh and score, then deliver what was queued."""
    started = time.monotonic()
    # Silent: a failure comes back as a DbtError (the loop retries a busy file, else stops
    # with the message); dbt's log file (logs/dbt.log) keeps the details.
    dbt.run(CYCLE_COMMAND, quiet=False)
    if delivery is not None:
        stats.alerts += len(delivery.deliver(dbt.query))
    stats.cycles += 1
    stats.cycle_seconds.append(time.monotonic() - started)


@dataclass
class Retraining:
    """Retrain every ``every_days`` of the stream's clock, counted from the first cycle's."""

    every_days: float
    model: str
    last_clock: dt.datetime | None = None
    retrainings: int = 0

    def due(self, clock: dt.datetime | None) -> bool:
        if clock is None:
            return False
        if self.last_clock is None:
            self.last_clock = clock
        return clock >= self.last_clock + dt.timedelta(days=self.every_days)

    def run(self, dbt: DbtSession, clock: dt.datetime, log: Callable[[str], None]) -> None:
        """The training set, then the model (trained, or refused by the gate, or current)."""
        before = self.newest_version(dbt)
        selected = ["int_training_features", self.model]
        dbt.run(["run", "--select", *selected, "--log-level", "none"], quiet=False)
        self.last_clock = clock
        self.retrainings += 1
        newest = self.newest_version(dbt)
        if newest is None or (before is not None and newest["version"] == before["version"]):
            log(f"stream time {clock:%Y-%m-%d %H:%M}: the model is current, nothing retrained")
        else:
            log(
                f"stream time {clock:%Y-%m-%d %H:%M}: v{newest['version']} {newest['status']}"
                f" ({newest['reason']})"
            )

    def newest_version(self, dbt: DbtSession) -> dict | None:
        """The newest row of dbt_ml_model_versions for the model, or None."""
        try:
            rows = dbt.query(
                "select version, status, reason from dbt_ml_model_versions"
                f" where model_name = '{self.model}' order by version desc limit 1"
            )
        except DbtError:  # a warehouse whose model was trained before the table existed
            return None
        return rows[0] if rows else None


def stream_clock(dbt: DbtSession) -> dt.datetime | None:
    """The stream's newest transaction time, or None before any."""
    newest = "select max(tx_datetime) as clock from {{ ref('stg_kinesis__transactions') }}"
    [row] = dbt.query(newest)
    return row["clock"]


def run_loop(
    dbt: DbtSession,
    delivery: AlertDelivery | None,
    interval: float,
    should_stop: Callable[[], bool],
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
    stats: CycleStats | None = None,
    retraining: Retraining | None = None,
    max_outage: float | None = None,
) -> CycleStats:
    """Cycles every `interval` seconds (from start to start) until `should_stop()`; with
    ``retraining``, retrains after the cycles that bring the stream's clock far enough.

    A cycle ended by what passes (outage_of: Kinesis unreachable, its stream missing, the
    warehouse busy or its disk full) is retried with backoff until it succeeds, one line
    logged when the outage starts or changes and one when it ends; past ``max_outage``
    seconds (None: never) the loop gives up with OutageError. Each model of a cycle commits
    on its own and takes only what it has not taken yet, so a retry goes on from where the
    failed cycle stopped, and nothing is scored twice."""
    stats = CycleStats() if stats is None else stats
    next_start = time.monotonic()
    settled = False
    outage: str | None = None
    outage_since = 0.0
    retries = 0
    rng = random.Random()
    try:
        while not should_stop():
            delay = next_start - time.monotonic()
            if delay > 0:
                time.sleep(min(delay, 0.1))
                continue
            try:
                refresh_once(dbt, delivery, stats)
                if retraining is not None:
                    clock = stream_clock(dbt)
                    if retraining.due(clock):
                        retraining.run(dbt, clock, log)
            except DbtError as error:
                kind = outage_of(error)
                if kind is None:
                    raise
                now = time.monotonic()
                if outage is None:
                    outage_since = now
                if kind != outage:
                    log(f"waiting: {kind}; retrying with backoff")
                    outage = kind
                if kind == BUSY:
                    stats.busy_retries += 1
                else:
                    stats.outage_retries += 1
                if max_outage is not None and now - outage_since > max_outage:
                    raise OutageError(
                        f"gave up after {now - outage_since:.0f} s (--max-outage): {kind}"
                    ) from None
                retries += 1
                next_start = now + full_jitter_delay(
                    rng.uniform, RETRY_BASE_SECONDS, RETRY_CAP_SECONDS, retries
                )
                continue
            if outage is not None:
                log(f"recovered after {time.monotonic() - outage_since:.1f} s: {outage} no more")
                outage, retries = None, 0
            if not settled:
                settle_long_lived_objects()
                settled = True
            next_start += interval
            if next_start < time.monotonic():  # a slow cycle: start the next one now
                next_start = time.monotonic()
    finally:
        gc.unfreeze()  # once the loop is over, what it froze can be collected again
    return stats


def settle_long_lived_objects() -> None:
    """Once the first cycle has run: dbt's parsed project, its adapter and compiled macros
    live as long as the loop, hundreds of thousands of objects that each of Python's full
    garbage collections walked again (0.1 to 0.3 s, in most cycles, and the slowest cycles
    were those). Frozen, the collections skip them: on the demo's world the tenth slowest
    cycle (p90, delivery included) went from 1.33-1.39 s to 1.17-1.18 s, the mean from
    1.14-1.18 s to 1.10-1.12 s. run_loop unfreezes them when it ends."""
    gc.collect()
    gc.freeze()
