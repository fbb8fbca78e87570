"""Live transactions, the wire format, customer_info and the files the generator writes."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from producer.cli import main
from producer.customer_info import CUSTOMER_INFO_COLUMNS, generate_customer_info
from producer.files import FileFormatError, read_transactions
from producer.history import (
    HIGH_AMOUNT_CENTS,
    SCENARIO_COMPROMISED_CUSTOMER,
    SCENARIO_COMPROMISED_TERMINAL,
    SCENARIO_HIGH_AMOUNT,
    generate_history,
)
from producer.live import LiveSimulator
from producer.records import WIRE_KEYS, encode_live
from producer.world import WorldConfig, build_world, compromised_customers, compromised_terminals

CONFIG = WorldConfig(customers=500, terminals=1_000, seed=3)
NOW = dt.datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def world():
    return build_world(CONFIG)


def test_live_ids_never_collide_with_history_or_an_earlier_run(world):
    history = generate_history(world, 30)
    first = LiveSimulator(world, np.random.default_rng(1), NOW)
    second = LiveSimulator(world, np.random.default_rng(1), NOW + dt.timedelta(milliseconds=1))
    first_ids = np.concatenate([first.take(500, NOW).transactions.transaction_id for _ in range(4)])
    second_ids = second.take(500, NOW).transactions.transaction_id
    assert first_ids.min() > history.transaction_id.max()
    assert len(np.unique(first_ids)) == len(first_ids)
    assert second_ids.min() > first_ids.max()


def test_live_transactions_continue_the_world(world):
    live = LiveSimulator(world, np.random.default_rng(2), NOW).take(50_000, NOW).transactions
    day = (NOW - CONFIG.start).days
    assert (live.tx_time_days == day).all()
    assert (live.tx_time_seconds == int((NOW - CONFIG.start).total_seconds())).all()
    # Customers in proportion to their daily rate, and only at their own terminals.
    counts = np.bincount(live.customer_id, minlength=CONFIG.customers)
    expected = world.mean_nb_tx_per_day * (world.usable_counts > 0)
    expected = expected / expected.sum() * len(live)
    assert np.corrcoef(counts, expected)[0, 1] > 0.95
    for customer, terminal in zip(live.customer_id[:500], live.terminal_id[:500], strict=True):
        assert terminal in world.terminals_of(customer)


def test_live_stream_has_all_three_fraud_scenarios(world):
    live = LiveSimulator(world, np.random.default_rng(4), NOW).take(100_000, NOW).transactions
    day = (NOW - CONFIG.start).days
    terminals = np.concatenate([compromised_terminals(CONFIG, d) for d in range(day - 27, day + 1)])
    customers = np.concatenate([compromised_customers(CONFIG, d) for d in range(day - 13, day + 1)])
    scenario = live.tx_fraud_scenario
    on_terminal = np.isin(live.terminal_id, terminals)
    stolen = scenario == SCENARIO_COMPROMISED_CUSTOMER
    np.testing.assert_array_equal(scenario == SCENARIO_COMPROMISED_TERMINAL, on_terminal & ~stolen)
    assert np.isin(live.customer_id[stolen], customers).all()
    of_compromised = np.isin(live.customer_id, customers)
    assert abs(stolen.sum() / of_compromised.sum() - 1 / 3) < 0.05
    assert (live.amount_cents[scenario == SCENARIO_HIGH_AMOUNT] > HIGH_AMOUNT_CENTS).all()
    assert {1, 2, 3} <= set(np.unique(scenario).tolist())


def test_wire_record_carries_exactly_the_walkthrough_keys(world):
    batch = LiveSimulator(world, np.random.default_rng(5), NOW).take(3, NOW)
    records = list(encode_live(batch.created_at, batch.transactions))
    payload = json.loads(records[0].data)
    assert tuple(payload) == WIRE_KEYS
    assert payload["TX_DATETIME"] == "2026-11-28 12:00:00.123456"
    assert records[0].partition_key == str(payload["CUSTOMER_ID"])
    cents = batch.transactions.amount_cents[0]
    assert f'"TX_AMOUNT":{cents // 100}.{cents % 100:02d},' in records[0].data.decode()


def test_customer_info_is_complete_fictitious_and_deterministic():
    info = generate_customer_info(CONFIG)
    assert tuple(info.columns) == CUSTOMER_INFO_COLUMNS
    assert info["customer_id"].tolist() == list(range(CONFIG.customers))
    assert info.notna().all().all()
    assert info["email_address"].str.endswith("@example.com").all()
    assert info["email_address"].is_unique
    assert info["phone_number"].str.fullmatch(r"\+1-\d{3}-555-01\d\d").all()
    pd.testing.assert_frame_equal(info, generate_customer_info(CONFIG))


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_generate_is_byte_for_byte_deterministic(tmp_path, file_format):
    args = [
        "generate",
        "--customers",
        "200",
        "--terminals",
        "300",
        "--days",
        "10",
        "--seed",
        "11",
        "--format",
        file_format,
    ]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for name in ("cust_payment_tx_history", "customer_info"):
        first = (tmp_path / "a" / f"{name}.{file_format}").read_bytes()
        assert first == (tmp_path / "b" / f"{name}.{file_format}").read_bytes()
    frame = read_transactions(tmp_path / "a" / f"cust_payment_tx_history.{file_format}")
    assert frame["TRANSACTION_ID"].is_unique
    assert frame["TX_DATETIME"].is_monotonic_increasing
    assert list(frame.columns)[:7] == list(WIRE_KEYS)


def test_history_file_columns_and_values(tmp_path):
    assert (
        main(
            [
                "generate",
                "--customers",
                "50",
                "--terminals",
                "80",
                "--days",
                "3",
                "--start-date",
                "2024-02-28",
                "--format",
                "csv",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    frame = pd.read_csv(tmp_path / "cust_payment_tx_history.csv", parse_dates=["TX_DATETIME"])
    start = pd.Timestamp("2024-02-28")
    seconds = (frame["TX_DATETIME"] - start).dt.total_seconds().astype(int)
    assert (seconds == frame["TX_TIME_SECONDS"]).all()
    assert (frame["TX_TIME_SECONDS"] // 86_400 == frame["TX_TIME_DAYS"]).all()
    assert frame["TX_AMOUNT"].round(2).equals(frame["TX_AMOUNT"])


def test_reading_a_file_without_the_columns_fails_clearly(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("TRANSACTION_ID,TX_AMOUNT\n1,2.50\n")
    with pytest.raises(FileFormatError, match="missing column"):
        read_transactions(path)
    with pytest.raises(FileFormatError, match="no such file"):
        read_transactions(tmp_path / "absent.parquet")
