"""The generated history against the Handbook's definitions."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from producer.history import (
    CUSTOMER_COMPROMISE_DAYS,
    HIGH_AMOUNT_CENTS,
    SCENARIO_COMPROMISED_CUSTOMER,
    SCENARIO_COMPROMISED_TERMINAL,
    SCENARIO_HIGH_AMOUNT,
    TERMINAL_COMPROMISE_DAYS,
    generate_history,
)
from producer.world import (
    WorldConfig,
    build_world,
    compromised_customers,
    compromised_terminals,
)

CONFIG = WorldConfig(customers=1_000, terminals=2_000, seed=7)
DAYS = 60


@pytest.fixture(scope="module")
def world():
    return build_world(CONFIG)


@pytest.fixture(scope="module")
def history(world):
    return generate_history(world, DAYS)


def test_profiles_follow_their_distributions(world):
    assert world.customer_x.min() >= 0 and world.customer_x.max() <= 100
    assert world.mean_amount.min() >= 5 and world.mean_amount.max() <= 100
    np.testing.assert_allclose(world.std_amount, world.mean_amount / 2)
    assert world.mean_nb_tx_per_day.min() >= 0 and world.mean_nb_tx_per_day.max() <= 4
    assert abs(world.mean_amount.mean() - 52.5) < 2.5
    assert abs(world.mean_nb_tx_per_day.mean() - 2.0) < 0.1


def test_usable_terminals_are_exactly_those_within_the_radius(world):
    dx = world.customer_x[:, None] - world.terminal_x[None, :]
    dy = world.customer_y[:, None] - world.terminal_y[None, :]
    near = np.sqrt(dx**2 + dy**2) < CONFIG.radius
    for customer in range(CONFIG.customers):
        np.testing.assert_array_equal(world.terminals_of(customer), np.nonzero(near[customer])[0])


def test_every_transaction_uses_a_terminal_within_the_radius(world, history):
    distance = np.hypot(
        world.customer_x[history.customer_id] - world.terminal_x[history.terminal_id],
        world.customer_y[history.customer_id] - world.terminal_y[history.terminal_id],
    )
    assert distance.max() < CONFIG.radius


def test_daily_volume_matches_the_poisson_rates(world, history):
    # Expected per day: the customers' rates (those with a terminal), times the share of
    # N(43200, 20000) draws kept inside (0, 86400).
    kept_share = math.erf(43_200 / 20_000 / math.sqrt(2))
    rates = world.mean_nb_tx_per_day[world.usable_counts > 0].sum()
    per_day = np.bincount(history.tx_time_days, minlength=DAYS)
    assert abs(per_day.mean() / (rates * kept_share) - 1) < 0.02
    # Poisson: the daily count's variance is about its mean.
    assert 0.7 < per_day.var() / per_day.mean() < 1.4


def test_times_of_day_are_truncated_normal_inside_the_day(history):
    time_of_day = history.tx_time_seconds - history.tx_time_days * 86_400
    assert time_of_day.min() > 0 and time_of_day.max() < 86_400
    assert abs(time_of_day.mean() - 43_200) < 300
    # N(43200, 20000) cut at +-a sigma: its std is 20000 * sqrt(1 - 2 a phi(a) / (2 Phi(a) - 1)).
    a = 43_200 / 20_000
    phi = math.exp(-(a**2) / 2) / math.sqrt(2 * math.pi)
    expected = 20_000 * math.sqrt(1 - 2 * a * phi / math.erf(a / math.sqrt(2)))
    assert abs(time_of_day.std() / expected - 1) < 0.01


def test_amounts_follow_each_customers_profile(world, history):
    genuine = history.tx_fraud_scenario != SCENARIO_COMPROMISED_CUSTOMER
    cents = history.amount_cents[genuine]
    customers = history.customer_id[genuine]
    assert cents.min() >= 0
    z = (cents / 100 - world.mean_amount[customers]) / world.std_amount[customers]
    # N(0, 1) for the bulk; the ~2.3% of negative draws are redrawn U(0, 2 * mean).
    assert abs(np.median(z)) < 0.03
    assert abs(np.mean(z > 1) - 0.1587) < 0.01
    assert abs(np.mean(z > 2) - 0.0228) < 0.004


def test_scenario_1_is_every_amount_over_220(history):
    high = history.amount_cents > HIGH_AMOUNT_CENTS
    assert history.tx_fraud[high].all()
    scenario_1 = history.tx_fraud_scenario == SCENARIO_HIGH_AMOUNT
    assert (history.amount_cents[scenario_1] > HIGH_AMOUNT_CENTS).all()


def test_scenario_2_is_every_transaction_on_a_compromised_terminal(history):
    compromised = np.zeros((CONFIG.terminals, DAYS), dtype=bool)
    for day in range(DAYS):
        compromised[compromised_terminals(CONFIG, day), day : day + TERMINAL_COMPROMISE_DAYS] = True
    on_compromised = compromised[history.terminal_id, history.tx_time_days]
    later = history.tx_fraud_scenario == SCENARIO_COMPROMISED_CUSTOMER  # scenario 3 wins
    np.testing.assert_array_equal(
        history.tx_fraud_scenario == SCENARIO_COMPROMISED_TERMINAL, on_compromised & ~later
    )
    assert on_compromised.sum() > 100


def test_scenario_3_takes_a_third_of_compromised_cards_transactions_times_five(history):
    windows = np.zeros((CONFIG.customers, DAYS), dtype=bool)
    for day in range(DAYS):
        windows[compromised_customers(CONFIG, day), day : day + CUSTOMER_COMPROMISE_DAYS] = True
    in_window = windows[history.customer_id, history.tx_time_days]
    scenario_3 = history.tx_fraud_scenario == SCENARIO_COMPROMISED_CUSTOMER
    assert not (scenario_3 & ~in_window).any()
    assert (history.amount_cents[scenario_3] % 5 == 0).all()
    # One third per compromise; a transaction in two overlapping windows gets two chances.
    share = scenario_3.sum() / in_window.sum()
    assert 0.30 < share < 0.40


def test_fraud_flag_is_exactly_a_scenario(history):
    np.testing.assert_array_equal(history.tx_fraud == 1, history.tx_fraud_scenario > 0)


def test_ids_are_unique_and_in_time_order(history):
    np.testing.assert_array_equal(history.transaction_id, np.arange(len(history)))
    assert (np.diff(history.tx_time_seconds) >= 0).all()


def test_default_world_lands_close_to_the_handbook():
    """The Handbook's run: 1,754,155 transactions, 14,681 frauds (0.84%)."""
    history = generate_history(build_world(WorldConfig()), 183)
    assert abs(len(history) / 1_754_155 - 1) < 0.03
    assert abs(history.tx_fraud.mean() - 0.0084) < 0.001
    shares = np.bincount(history.tx_fraud_scenario, minlength=4)[1:] / history.tx_fraud.sum()
    # The Handbook's shares of scenarios 1/2/3 are about 7% / 62% / 31%.
    np.testing.assert_allclose(shares, [0.07, 0.62, 0.31], atol=0.03)


def test_same_seed_same_world_other_seed_other_world():
    first = generate_history(build_world(CONFIG), 5)
    again = generate_history(build_world(CONFIG), 5)
    other = generate_history(build_world(WorldConfig(customers=1_000, terminals=2_000, seed=8)), 5)
    for name in ("customer_id", "terminal_id", "amount_cents", "tx_time_seconds", "tx_fraud"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert len(first) != len(other) or (first.amount_cents != other.amount_cents).any()


def test_invalid_world_is_refused():
    with pytest.raises(ValueError, match="customers"):
        WorldConfig(customers=0)
    with pytest.raises(ValueError, match="radius"):
        WorldConfig(radius=0)
    with pytest.raises(ValueError, match="days"):
        generate_history(build_world(CONFIG), 0)


def test_world_start_is_midnight_utc():
    assert WorldConfig(start_date=dt.date(2018, 4, 1)).start == dt.datetime(
        2018, 4, 1, tzinfo=dt.UTC
    )
