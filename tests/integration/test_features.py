"""Window features: against an independent pandas reference, across the two SQL renderings,
and between the training path (history) and the scoring path (history plus stream)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from fraud_detection.testing.dbt import PROJECT_DIR, LocalDbt
from fraud_detection.testing.kinesis import feedback_stream, fresh_streams
from fraud_detection.testing.reference_features import reference_features
from producer.cli import main as producer
from producer.customer_info import generate_customer_info
from producer.kinesis import make_client
from producer.world import WorldConfig

START = "2024-01-01"
DAYS = 57
HISTORY_DAYS = 50  # the stream carries days 50-56: their delayed terminal windows end in history
FEATURES = [
    "tx_amount",
    "tx_during_weekend",
    "tx_during_night",
    *[f"customer_id_{kind}_{w}day_window" for w in (1, 7, 30) for kind in ("nb_tx", "avg_amount")],
    *[f"terminal_id_{kind}_{w}day_window" for w in (1, 7, 30) for kind in ("nb_tx", "risk")],
]
COUNTS = [f for f in FEATURES if "_nb_tx_" in f or f.startswith("tx_during")]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("world")
    assert (
        producer(
            [
                "generate",
                "--customers",
                "300",
                "--terminals",
                "600",
                "--days",
                str(DAYS),
                "--start-date",
                START,
                "--seed",
                "5",
                "--out",
                str(folder),
            ]
        )
        == 0
    )
    full = pd.read_parquet(folder / "cust_payment_tx_history.parquet")
    early = full[full.TX_TIME_DAYS < HISTORY_DAYS].assign(SOURCE_SYSTEM="bring-your-own")
    pa_csv.write_csv(
        pa.Table.from_pandas(early, preserve_index=False), folder / "history_early.csv"
    )
    full[full.TX_TIME_DAYS >= HISTORY_DAYS].to_csv(folder / "stream_days.csv", index=False)
    return {
        "folder": folder,
        "full": full,
        "late_ids": set(full[full.TX_TIME_DAYS >= HISTORY_DAYS].TRANSACTION_ID),
    }


def features_of(dbt: LocalDbt, model: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(dbt.database), read_only=True) as connection:
        frame = connection.execute(f"select * from {model}").df()
    return frame.set_index("transaction_id").sort_index()[FEATURES]


def assert_same_features(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.index) == list(expected.index)
    for column in FEATURES:
        got, want = actual[column].to_numpy(float), expected[column].to_numpy(float)
        if column in COUNTS:
            np.testing.assert_array_equal(got, want, err_msg=column)
        else:
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9, err_msg=column)


def training_run(tmp_path, kinesalite, world, rendering: str) -> pd.DataFrame:
    stream = fresh_streams(make_client(kinesalite.endpoint_url), "training-only")
    dbt = LocalDbt(tmp_path, kinesalite.endpoint_url, stream)  # an empty stream
    history = world["folder"] / "cust_payment_tx_history.parquet"
    result = dbt.run(
        "build",
        "-s",
        "customer_info",
        "+int_training_features",
        "--indirect-selection",
        "cautious",
        vars=f"history_path: '{history}', features_rendering: {rendering}",
    )
    assert result.returncode == 0, result.output[-3000:]
    return features_of(dbt, "int_training_features")


@pytest.fixture(scope="module")
def training_features(tmp_path_factory, kinesalite, world) -> pd.DataFrame:
    return training_run(tmp_path_factory.mktemp("native"), kinesalite, world, "native")


def test_training_features_match_the_pandas_reference(training_features, world):
    expected = reference_features(world["full"]).rename_axis("transaction_id")
    assert_same_features(training_features, expected)
    assert training_features["terminal_id_risk_30day_window"].max() > 0  # frauds were seen


def test_the_portable_rendering_gives_the_same_features(
    tmp_path, kinesalite, world, training_features
):
    assert_same_features(training_run(tmp_path, kinesalite, world, "portable"), training_features)


@pytest.mark.parametrize("rendering", ["native", "portable"])
def test_scoring_the_stream_gives_the_training_features(
    tmp_path, kinesalite, stream_name, world, training_features, rendering
):
    assert (
        producer(
            [
                "replay",
                str(world["folder"] / "stream_days.csv"),
                "--stream",
                stream_name,
                "--endpoint-url",
                kinesalite.endpoint_url,
            ]
        )
        == 0
    )
    dbt = LocalDbt(tmp_path, kinesalite.endpoint_url, stream_name)
    history = world["folder"] / "history_early.csv"  # CSV, with an extra column
    result = dbt.run(
        "run",
        "-s",
        "+int_scoring_features",
        vars=f"history_path: '{history}', features_rendering: {rendering}",
    )
    assert result.returncode == 0, result.output[-3000:]
    scored = features_of(dbt, "int_scoring_features")
    assert set(scored.index) == world["late_ids"]
    assert_same_features(scored, training_features.loc[scored.index])

    # A second run scores nothing again; new stream rows only.
    again = dbt.run("run", "-s", "int_scoring_features", vars=f"history_path: '{history}'")
    assert again.returncode == 0, again.output[-3000:]
    assert dbt.scalar("select count(*) from int_scoring_features") == len(world["late_ids"])


def test_with_fraud_feedback_scoring_a_long_stream_gives_the_fully_labelled_features(
    tmp_path, kinesalite, stream_name, world, training_features
):
    """17 days streamed after 40 of history, each fraud reported 7 days (the label delay)
    after it on the feedback stream: the terminal windows of the last days reach only
    streamed transactions, and they still equal those of the fully labelled world, with no
    label used before it was reported (#22)."""
    full = world["full"]
    history = tmp_path / "history_before_day_40.csv"
    full[full.TX_TIME_DAYS < 40].to_csv(history, index=False)
    late = full[full.TX_TIME_DAYS >= 40]
    late.to_csv(tmp_path / "days_40_56.csv", index=False)
    replay = ["replay", str(tmp_path / "days_40_56.csv"), "--stream", stream_name]
    feedback = ["--feedback-stream", feedback_stream(stream_name), "--feedback-delay", "7"]
    assert producer([*replay, *feedback, "--endpoint-url", kinesalite.endpoint_url]) == 0
    dbt = LocalDbt(tmp_path, kinesalite.endpoint_url, stream_name)
    result = dbt.run("run", "-s", "+int_scoring_features", vars=f"history_path: '{history}'")
    assert result.returncode == 0, result.output[-3000:]
    scored = features_of(dbt, "int_scoring_features")
    assert set(scored.index) == set(late.TRANSACTION_ID)
    assert_same_features(scored, training_features.loc[scored.index])
    # Days 54-56: their 7-day terminal windows (days 40-49) hold streamed frauds only.
    last_days = late[late.TX_TIME_DAYS >= 54].TRANSACTION_ID
    assert scored.loc[sorted(last_days), "terminal_id_risk_7day_window"].max() > 0

    # The training set: the history and each streamed transaction whose label is known (7
    # days after it, by the stream's clock), with the fully labelled world's features and
    # the label the feedback gave; nothing newer.
    built = dbt.run("run", "-s", "int_training_features", vars=f"history_path: '{history}'")
    assert built.returncode == 0, built.output[-3000:]
    clock = pd.to_datetime(late.TX_DATETIME).max()
    known = full[pd.to_datetime(full.TX_DATETIME) + pd.Timedelta(days=7) <= clock]
    assert len(known) < len(full) and (known.TX_TIME_DAYS >= 40).any()
    training = features_of(dbt, "int_training_features")
    assert set(training.index) == set(known.TRANSACTION_ID)
    assert_same_features(training, training_features.loc[training.index])
    labels = dict(dbt.query("select transaction_id, tx_fraud from int_training_features"))
    assert labels == dict(zip(known.TRANSACTION_ID, known.TX_FRAUD, strict=True))


def test_scoring_cycle_by_cycle_with_a_late_day_and_lagging_totals_gives_the_reference(
    tmp_path, kinesalite, stream_name, world
):
    """The stream arrives in three parts, days 50-52, then 54-56, then day 53 late. Each part
    is scored by a cycle of its own, the last with int_customer_totals left behind (scoring
    then counts what the totals have not taken). Every part's features equal the reference
    computed from what was known when it was scored, and the totals, once caught up, equal
    counts taken straight from the known transactions."""
    dbt = LocalDbt(tmp_path, kinesalite.endpoint_url, stream_name)
    history = world["folder"] / "history_early.csv"
    full = world["full"]
    known = full[full.TX_TIME_DAYS < HISTORY_DAYS]
    parts = [
        ([50, 51, 52], []),
        ([54, 55, 56], []),
        ([53], ["--exclude", "int_customer_totals"]),  # late, and the totals left behind
    ]
    for days, flags in parts:
        part = full[full.TX_TIME_DAYS.isin(days)]
        part.to_csv(tmp_path / "part.csv", index=False)
        replay = ["replay", str(tmp_path / "part.csv"), "--stream", stream_name]
        assert producer([*replay, "--endpoint-url", kinesalite.endpoint_url]) == 0
        result = dbt.run(
            "run", "-s", "+int_scoring_features", *flags, vars=f"history_path: '{history}'"
        )
        assert result.returncode == 0, result.output[-3000:]
        known = pd.concat([known, part])
        expected = (
            reference_features(known).rename_axis("transaction_id").loc[sorted(part.TRANSACTION_ID)]
        )
        scored = features_of(dbt, "int_scoring_features").loc[expected.index]
        assert_same_features(scored, expected)

    caught_up = dbt.run("run", "-s", "int_customer_totals", vars=f"history_path: '{history}'")
    assert caught_up.returncode == 0, caught_up.output[-3000:]
    [(mismatches, customers)] = dbt.query("""
        with
        known as (
            select customer_id, tx_datetime, tx_amount from cust_payment_tx_history
            union all
            select customer_id, tx_datetime, tx_amount from stg_kinesis__transactions
        ),
        boundary as (select max(boundary_at) as boundary_at from int_customer_totals),
        expected as (
            select
                customer_id,
                count(*) as nb_tx,
                sum(tx_amount) as amount,
                count(*) filter (where tx_datetime <= boundary_at - interval 1 day) as nb_1,
                count(*) filter (where tx_datetime <= boundary_at - interval 7 day) as nb_7,
                count(*) filter (where tx_datetime <= boundary_at - interval 30 day) as nb_30,
                coalesce(sum(tx_amount) filter (
                    where tx_datetime <= boundary_at - interval 30 day), 0) as amount_30
            from known, boundary
            group by customer_id
        )
        select
            count(*) filter (where
                totals.customer_id is null
                or (totals.nb_tx, totals.amount, totals.nb_tx_to_1day, totals.nb_tx_to_7day,
                    totals.nb_tx_to_30day, totals.amount_to_30day)
                    != (expected.nb_tx, expected.amount, expected.nb_1, expected.nb_7,
                        expected.nb_30, expected.amount_30)),
            count(*)
        from expected
        left join int_customer_totals as totals using (customer_id)
    """)
    assert customers == full.CUSTOMER_ID.nunique()
    assert mismatches == 0


def test_the_customer_info_seed_is_the_generators_output():
    seed = pd.read_csv(PROJECT_DIR / "seeds" / "customer_info.csv")
    pd.testing.assert_frame_equal(seed, generate_customer_info(WorldConfig()), check_dtype=False)
