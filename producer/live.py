"""Live transactions: the same world continued in wall-clock time, all fraud scenarios active.

The history draws a fixed number of transactions per customer and day; the live stream
instead draws whoever pays next, with probability proportional to each customer's daily
rate, so any --rate keeps the world's mix of customers. Compromised terminals and customers
come from the same per-day schedule as the history (``world.compromised_*``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from producer.history import (
    COMPROMISED_AMOUNT_FACTOR,
    CUSTOMER_COMPROMISE_DAYS,
    HIGH_AMOUNT_CENTS,
    SCENARIO_COMPROMISED_CUSTOMER,
    SCENARIO_COMPROMISED_TERMINAL,
    SCENARIO_HIGH_AMOUNT,
    TERMINAL_COMPROMISE_DAYS,
    Transactions,
)
from producer.records import Record, encode_live
from producer.world import World, compromised_customers, compromised_terminals, draw_amounts_cents

# Live ids are (run start in epoch milliseconds) * LIVE_ID_STRIDE + (index within the run):
# far above any history id (0..n-1), and a later run starts above an earlier one as long as
# no run sends a million records per millisecond of the time between their starts.
LIVE_ID_STRIDE = 1_000_000


@dataclass(frozen=True)
class LiveBatch:
    """Transactions made at one instant, with their UTC timestamp."""

    created_at: dt.datetime
    transactions: Transactions


class LiveSimulator:
    """Makes live transactions of a world on demand, ``take(n)`` at a time."""

    def __init__(self, world: World, rng: np.random.Generator, run_started_at: dt.datetime):
        if run_started_at.tzinfo is None:
            raise ValueError("run_started_at must be timezone-aware (UTC)")
        self._world = world
        self._rng = rng
        counts = world.usable_counts
        weights = np.where(counts > 0, world.mean_nb_tx_per_day, 0.0)
        if weights.sum() == 0:
            raise ValueError("no customer of this world makes transactions")
        self._payers = np.nonzero(weights)[0]
        self._cumulative = np.cumsum(weights[self._payers] / weights.sum())
        started_ms = int(run_started_at.timestamp() * 1000)
        self._next_id = started_ms * LIVE_ID_STRIDE
        self._schedule_day: int | None = None
        self._terminal_compromised = np.zeros(world.config.terminals, dtype=bool)
        self._customer_compromised = np.zeros(world.config.customers, dtype=bool)

    def take(self, n: int, now: dt.datetime) -> LiveBatch:
        """``n`` transactions made at ``now`` (UTC)."""
        world, rng = self._world, self._rng
        seconds = int((now - world.config.start).total_seconds())
        day = seconds // 86_400
        self._update_schedule(day)

        picks = np.searchsorted(self._cumulative, rng.random(n), side="right")
        customer_id = self._payers[np.minimum(picks, len(self._payers) - 1)]
        terminal_id = world.pick_terminals(customer_id, rng)
        amount_cents = draw_amounts_cents(world, customer_id, rng)

        scenario = np.zeros(n, dtype=np.int8)
        scenario[amount_cents > HIGH_AMOUNT_CENTS] = SCENARIO_HIGH_AMOUNT
        scenario[self._terminal_compromised[terminal_id]] = SCENARIO_COMPROMISED_TERMINAL
        # History turns a third of a compromised card's transactions into frauds; live does
        # the same, one transaction at a time.
        stolen = self._customer_compromised[customer_id] & (rng.random(n) < 1 / 3)
        amount_cents[stolen] *= COMPROMISED_AMOUNT_FACTOR
        scenario[stolen] = SCENARIO_COMPROMISED_CUSTOMER

        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        transactions = Transactions(
            transaction_id=ids,
            customer_id=customer_id,
            terminal_id=terminal_id,
            amount_cents=amount_cents,
            tx_time_seconds=np.full(n, seconds, dtype=np.int64),
            tx_time_days=np.full(n, day, dtype=np.int64),
            tx_fraud=(scenario > 0).astype(np.int8),
            tx_fraud_scenario=scenario,
        )
        return LiveBatch(created_at=now, transactions=transactions)

    def _update_schedule(self, day: int) -> None:
        if day == self._schedule_day:
            return
        config = self._world.config
        self._terminal_compromised[:] = False
        for start in range(max(0, day - TERMINAL_COMPROMISE_DAYS + 1), day + 1):
            self._terminal_compromised[compromised_terminals(config, start)] = True
        self._customer_compromised[:] = False
        for start in range(max(0, day - CUSTOMER_COMPROMISE_DAYS + 1), day + 1):
            self._customer_compromised[compromised_customers(config, start)] = True
        self._schedule_day = day


def labelled_records(
    simulator: LiveSimulator,
    chunk: int,
    total: int | None,
    deadline: float | None,
    truth: dict[int, tuple[int, int]],
) -> Iterator[Record]:
    """Live records for the publisher, ``chunk`` at a time, until ``total`` records or the
    monotonic ``deadline``. Each record's label (TX_FRAUD, TX_FRAUD_SCENARIO) goes into
    ``truth`` by transaction id as the record is handed over; the caller writes it once the
    stream accepted the record or it was given up (producer.outcomes)."""
    made = 0
    while (total is None or made < total) and (deadline is None or time.monotonic() < deadline):
        size = chunk if total is None else min(chunk, total - made)
        batch = simulator.take(size, dt.datetime.now(dt.UTC))
        tx = batch.transactions
        labels = zip(tx.tx_fraud.tolist(), tx.tx_fraud_scenario.tolist(), strict=True)
        made += size
        for record, label in zip(encode_live(batch.created_at, tx), labels, strict=True):
            truth[record.transaction_id] = label
            yield record
