"""The labelled transaction history of a world, vectorised over customers and days."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from producer.world import (
    STREAM_HISTORY,
    World,
    compromised_customers,
    compromised_terminals,
    draw_amounts_cents,
    keyed_rng,
)

SECONDS_PER_DAY = 86_400
# Fraud scenarios of the Handbook (chapter 3.2.4).
HIGH_AMOUNT_CENTS = 22_000  # scenario 1: any amount over 220 is fraud
TERMINAL_COMPROMISE_DAYS = 28  # scenario 2: every transaction on the terminal is fraud
CUSTOMER_COMPROMISE_DAYS = 14  # scenario 3: a third of the card's transactions, amount x5
COMPROMISED_AMOUNT_FACTOR = 5

SCENARIO_NONE = 0
SCENARIO_HIGH_AMOUNT = 1
SCENARIO_COMPROMISED_TERMINAL = 2
SCENARIO_COMPROMISED_CUSTOMER = 3


@dataclass(frozen=True)
class Transactions:
    """Columns of a transaction table; amounts in integer cents, times relative to the start."""

    transaction_id: np.ndarray
    customer_id: np.ndarray
    terminal_id: np.ndarray
    amount_cents: np.ndarray
    tx_time_seconds: np.ndarray
    tx_time_days: np.ndarray
    tx_fraud: np.ndarray
    tx_fraud_scenario: np.ndarray

    def __len__(self) -> int:
        return len(self.transaction_id)


def generate_history(world: World, days: int) -> Transactions:
    """Transactions of every customer over ``days`` days, with frauds injected, in time order.

    Transaction ids are 0..n-1 in order of TX_DATETIME (ties by customer, then draw order).
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    config = world.config
    rng = keyed_rng(config.seed, STREAM_HISTORY)

    per_day = rng.poisson(np.repeat(world.mean_nb_tx_per_day, days))
    customer_day = np.repeat(np.arange(config.customers * days), per_day)
    customer_id = customer_day // days
    day = customer_day % days
    # The Handbook truncates a N(43200, 20000) draw and keeps it only inside (0, 86400).
    time_of_day = np.trunc(rng.normal(SECONDS_PER_DAY / 2, 20_000, len(day))).astype(np.int64)
    amount_cents = draw_amounts_cents(world, customer_id, rng)
    terminal_id = world.pick_terminals(customer_id, rng)
    keep = (time_of_day > 0) & (time_of_day < SECONDS_PER_DAY) & (terminal_id >= 0)

    customer_id, day, terminal_id = customer_id[keep], day[keep], terminal_id[keep]
    amount_cents = amount_cents[keep]
    seconds = day * SECONDS_PER_DAY + time_of_day[keep]

    # Rows are grouped by customer and then ordered by draw; add frauds in that layout.
    tx_fraud, scenario, amount_cents = _inject_frauds(
        world, days, customer_id, day, terminal_id, amount_cents
    )

    order = np.lexsort((customer_id, seconds))  # stable: same-second ties keep draw order
    return Transactions(
        transaction_id=np.arange(len(order), dtype=np.int64),
        customer_id=customer_id[order],
        terminal_id=terminal_id[order],
        amount_cents=amount_cents[order],
        tx_time_seconds=seconds[order],
        tx_time_days=day[order],
        tx_fraud=tx_fraud[order],
        tx_fraud_scenario=scenario[order],
    )


def _inject_frauds(
    world: World,
    days: int,
    customer_id: np.ndarray,
    day: np.ndarray,
    terminal_id: np.ndarray,
    amount_cents: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    config = world.config
    scenario = np.zeros(len(day), dtype=np.int8)
    scenario[amount_cents > HIGH_AMOUNT_CENTS] = SCENARIO_HIGH_AMOUNT

    compromised = np.zeros((config.terminals, days), dtype=bool)
    for start in range(days):
        compromised[
            compromised_terminals(config, start), start : start + TERMINAL_COMPROMISE_DAYS
        ] = True
    scenario[compromised[terminal_id, day]] = SCENARIO_COMPROMISED_TERMINAL

    # Rows are sorted by customer, then by day within a customer (np.repeat over customer-days).
    amount_cents = amount_cents.copy()
    customer_start = np.searchsorted(customer_id, np.arange(config.customers + 1))
    key = customer_id * days + day
    fraud_rng = keyed_rng(config.seed, STREAM_HISTORY, 1)
    for start in range(days):
        rows = []
        for customer in compromised_customers(config, start):
            lo, hi = customer_start[customer], customer_start[customer + 1]
            first = lo + np.searchsorted(key[lo:hi], customer * days + start)
            last = lo + np.searchsorted(
                key[lo:hi], customer * days + start + CUSTOMER_COMPROMISE_DAYS
            )
            rows.append(np.arange(first, last))
        candidates = np.concatenate(rows)
        chosen = fraud_rng.choice(candidates, size=len(candidates) // 3, replace=False)
        amount_cents[chosen] *= COMPROMISED_AMOUNT_FACTOR
        scenario[chosen] = SCENARIO_COMPROMISED_CUSTOMER

    return (scenario > 0).astype(np.int8), scenario, amount_cents
