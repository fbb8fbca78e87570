"""The simulated world: customers, terminals and which terminals each customer uses.

Distributions follow the Fraud Detection Handbook (Le Borgne et al., 2022), chapter 3.2:
customers and terminals uniform on a 100 x 100 grid, a customer uses the terminals closer
than ``radius``, spends N(mean_amount, mean_amount / 2) and makes Poisson(mean_nb_tx_per_day)
transactions a day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# Keys that derive independent random streams from the world seed (see ``keyed_rng``).
STREAM_PROFILES = 1
STREAM_HISTORY = 2
STREAM_COMPROMISED_TERMINALS = 3
STREAM_COMPROMISED_CUSTOMERS = 4
STREAM_CUSTOMER_INFO = 5


@dataclass(frozen=True)
class WorldConfig:
    """Everything that determines a world: the same config gives the same world."""

    customers: int = 5_000
    terminals: int = 10_000
    radius: float = 5.0
    start_date: dt.date = dt.date(2018, 4, 1)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError(f"customers must be at least 1, got {self.customers}")
        if self.terminals < 1:
            raise ValueError(f"terminals must be at least 1, got {self.terminals}")
        if not self.radius > 0:
            raise ValueError(f"radius must be positive, got {self.radius}")
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")

    @property
    def start(self) -> dt.datetime:
        """The world's time origin, midnight UTC of ``start_date``."""
        return dt.datetime.combine(self.start_date, dt.time(), tzinfo=dt.UTC)


def keyed_rng(seed: int, *key: int) -> np.random.Generator:
    """A generator for one purpose (and day), derived from the world seed.

    Compromised terminals and customers are drawn per day from their own stream, so the
    history and a live run decades later agree on which terminal is compromised on a day.
    """
    return np.random.default_rng([seed, *key])


@dataclass(frozen=True)
class World:
    """Customer and terminal profiles, as numpy arrays indexed by id."""

    config: WorldConfig
    customer_x: np.ndarray
    customer_y: np.ndarray
    mean_amount: np.ndarray
    std_amount: np.ndarray
    mean_nb_tx_per_day: np.ndarray
    terminal_x: np.ndarray
    terminal_y: np.ndarray
    # Terminals within ``radius`` of customer c: usable_terminals[offsets[c]:offsets[c + 1]].
    usable_terminals: np.ndarray
    usable_offsets: np.ndarray

    @property
    def usable_counts(self) -> np.ndarray:
        return np.diff(self.usable_offsets)

    def terminals_of(self, customer_id: int) -> np.ndarray:
        lo, hi = self.usable_offsets[customer_id], self.usable_offsets[customer_id + 1]
        return self.usable_terminals[lo:hi]

    def pick_terminals(self, customer_ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One terminal per customer, uniform among the customer's usable terminals.

        Customers with no usable terminal get -1.
        """
        counts = self.usable_counts[customer_ids]
        picks = np.floor(rng.random(len(customer_ids)) * counts).astype(np.int64)
        positions = self.usable_offsets[customer_ids] + picks
        has_terminal = counts > 0
        terminals = np.full(len(customer_ids), -1, dtype=np.int64)
        terminals[has_terminal] = self.usable_terminals[positions[has_terminal]]
        return terminals


def build_world(config: WorldConfig) -> World:
    """Draw customer and terminal profiles and each customer's usable terminals."""
    rng = keyed_rng(config.seed, STREAM_PROFILES)
    customer_x = rng.uniform(0, 100, config.customers)
    customer_y = rng.uniform(0, 100, config.customers)
    mean_amount = rng.uniform(5, 100, config.customers)
    std_amount = mean_amount / 2
    mean_nb_tx_per_day = rng.uniform(0, 4, config.customers)
    terminal_x = rng.uniform(0, 100, config.terminals)
    terminal_y = rng.uniform(0, 100, config.terminals)

    usable_customer, usable_terminal = _pairs_within(
        customer_x, customer_y, terminal_x, terminal_y, config.radius
    )
    offsets = np.searchsorted(usable_customer, np.arange(config.customers + 1))

    return World(
        config=config,
        customer_x=customer_x,
        customer_y=customer_y,
        mean_amount=mean_amount,
        std_amount=std_amount,
        mean_nb_tx_per_day=mean_nb_tx_per_day,
        terminal_x=terminal_x,
        terminal_y=terminal_y,
        usable_terminals=usable_terminal,
        usable_offsets=offsets,
    )


def _pairs_within(
    customer_x: np.ndarray,
    customer_y: np.ndarray,
    terminal_x: np.ndarray,
    terminal_y: np.ndarray,
    radius: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer, terminal) pairs closer than ``radius``, sorted by customer then terminal.

    Terminals are bucketed into square cells of side ``radius``; a customer's candidates are
    the terminals of the 3 x 3 cells around its own, measured exactly.
    """
    rows = int(np.ceil(100 / radius)) + 3  # cell rows, with room for the -1 and +1 neighbours
    terminal_cell = np.floor(terminal_x / radius).astype(np.int64) * rows + np.floor(
        terminal_y / radius
    ).astype(np.int64)
    by_cell = np.argsort(terminal_cell, kind="stable")
    sorted_cells = terminal_cell[by_cell]
    customer_column = np.floor(customer_x / radius).astype(np.int64)
    customer_row = np.floor(customer_y / radius).astype(np.int64)

    customers, terminals = [], []
    for column_offset in (-1, 0, 1):
        # Cells (column, row - 1 .. row + 1) are contiguous in sorted_cells.
        column = (customer_column + column_offset) * rows
        lo = np.searchsorted(sorted_cells, column + customer_row - 1, side="left")
        hi = np.searchsorted(sorted_cells, column + customer_row + 1, side="right")
        counts = hi - lo
        owner = np.repeat(np.arange(len(customer_x)), counts)
        first = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        customers.append(owner)
        terminals.append(by_cell[np.arange(counts.sum()) + first])
    customer = np.concatenate(customers)
    terminal = np.concatenate(terminals)
    dx = customer_x[customer] - terminal_x[terminal]
    dy = customer_y[customer] - terminal_y[terminal]
    near = dx * dx + dy * dy < radius * radius
    customer, terminal = customer[near], terminal[near]
    order = np.lexsort((terminal, customer))
    return customer[order], terminal[order]


def draw_amounts_cents(
    world: World, customer_ids: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Amounts in integer cents: N(mean, std), redrawn U(0, 2 * mean) when negative."""
    mean = world.mean_amount[customer_ids]
    amounts = rng.normal(mean, world.std_amount[customer_ids])
    negative = amounts < 0
    amounts[negative] = rng.uniform(0, 2 * mean[negative])
    return np.rint(amounts * 100).astype(np.int64)


def compromised_terminals(config: WorldConfig, day: int, per_day: int = 2) -> np.ndarray:
    """Terminals compromised on ``day`` (they stay compromised for 28 days)."""
    rng = keyed_rng(config.seed, STREAM_COMPROMISED_TERMINALS, day)
    return rng.choice(config.terminals, size=min(per_day, config.terminals), replace=False)


def compromised_customers(config: WorldConfig, day: int, per_day: int = 3) -> np.ndarray:
    """Customers whose card is compromised on ``day`` (for 14 days)."""
    rng = keyed_rng(config.seed, STREAM_COMPROMISED_CUSTOMERS, day)
    return rng.choice(config.customers, size=min(per_day, config.customers), replace=False)
