"""A month of streaming on a small world, end to end (#22): 35 days replayed by the producer
with each fraud reported 7 days later, the refresh loop (as `detect --retrain-every 7` runs
it) scoring cycle after cycle and retraining the model every 7 stream days through the gate.
About 45 s: an end-to-end test, outside the inner loop."""

from __future__ import annotations

import itertools
import json
import pickle
import subprocess
import sys
import uuid
from pathlib import Path

import pandas as pd

from fraud_detection.dbt_session import DbtSession
from fraud_detection.defaults import MODEL_INPUTS, MODEL_NAME
from fraud_detection.learner.training import prior_corrected
from fraud_detection.refresh.loop import Retraining, run_loop
from fraud_detection.testing.dbt import LocalDbt, environment
from fraud_detection.testing.kinesis import feedback_stream, fresh_streams
from fraud_detection.testing.loop import once_published
from producer.cli import main as producer
from producer.kinesis import make_client

HISTORY_DAYS, DAYS = 35, 70


def test_a_replayed_month_is_scored_once_retrained_weekly_and_stays_sharp(tmp_path, kinesalite):
    world = ["--customers", "300", "--terminals", "600", "--seed", "8"]
    generate = ["generate", *world, "--days", str(DAYS), "--start-date", "2024-01-01"]
    assert producer([*generate, "--out", str(tmp_path / "world")]) == 0
    full = pd.read_parquet(tmp_path / "world" / "cust_payment_tx_history.parquet")
    full[full.TX_TIME_DAYS < HISTORY_DAYS].to_parquet(tmp_path / "history.parquet")
    late = full[full.TX_TIME_DAYS >= HISTORY_DAYS]
    late.to_csv(tmp_path / "month.csv", index=False)

    stream = fresh_streams(make_client(kinesalite.endpoint_url), f"month-{uuid.uuid4().hex[:8]}")
    dbt = LocalDbt(tmp_path, kinesalite.endpoint_url, stream)
    dbt.build_training_features(tmp_path / "history.parquet", tmp_path / "models")
    first = dbt.run("run", "-s", "+cust_payment_tx_fraud_predictions", vars=dbt.history_vars)
    assert first.returncode == 0, first.output[-3000:]

    replay = [
        sys.executable, "-m", "producer", "replay", str(tmp_path / "month.csv"),
        "--stream", stream, "--endpoint-url", kinesalite.endpoint_url, "--rate", "1000",
        "--no-progress", "--feedback-stream", feedback_stream(stream), "--feedback-delay", "7",
    ]  # fmt: skip
    publishing = subprocess.Popen(replay, stdout=subprocess.DEVNULL, env=dbt.env)
    done = once_published(publishing)

    lines: list[str] = []
    retraining = Retraining(7, MODEL_NAME)
    vars = {
        "stream_name": stream,
        "feedback_stream_name": feedback_stream(stream),
        "history_path": str(tmp_path / "history.parquet"),
        "training_days": 21,
    }
    with environment(dbt.env, dbt.folder):
        session = DbtSession(vars=vars, profiles_dir=Path(dbt.env["DBT_PROFILES_DIR"]))
        stats = run_loop(session, None, 0.0, done, log=lines.append, retraining=retraining)
    assert publishing.wait() == 0

    # Every transaction of the month scored, once.
    scored = pd.DataFrame(
        dbt.query("select transaction_id, fraud_prediction from cust_payment_tx_fraud_predictions"),
        columns=["TRANSACTION_ID", "prediction"],
    )
    assert len(scored) == len(late) and set(scored.TRANSACTION_ID) == set(late.TRANSACTION_ID)

    # Retrained on its schedule: each retraining logged, each new version decided by the gate
    # on a week of the stream's own labels, once they were known.
    assert retraining.retrainings >= 2 and stats.cycles > retraining.retrainings
    assert len(lines) == retraining.retrainings
    times = [pd.Timestamp(line.removeprefix("stream time ")[:16]) for line in lines]
    assert all(b - a >= pd.Timedelta(days=7) for a, b in itertools.pairwise(times))
    versions = dbt.query(
        "select version, status, training_end, gate_start, gate_end from dbt_ml_model_versions"
        " order by version"
    )
    assert len(versions) >= 2 and [v[1] for v in versions].count("serving") == 1
    stream_start = pd.Timestamp(late.TX_DATETIME.min())
    for version, status, training_end, gate_start, gate_end in versions[2:]:
        assert status in ("serving", "refused", "retired"), version
        assert training_end < gate_start and gate_start >= stream_start, version
        assert gate_end <= pd.Timestamp(late.TX_DATETIME.max()) - pd.Timedelta(days=7)

    # Compromised terminals (scenario 2) are caught in the last week as well as the first
    # model catches them with every label known at once (the oracle), within 0.05: the world
    # drifts (the oracle's own recall falls from week to week on this one), the detector
    # does not go blind.
    def compromised_recall(predictions: pd.DataFrame) -> pd.Series:
        frame = late.merge(predictions, on="TRANSACTION_ID")
        frame = frame[frame.TX_FRAUD_SCENARIO == 2]
        week = (pd.to_datetime(frame.TX_DATETIME) - stream_start).dt.days // 7
        return frame.groupby(week).prediction.mean()

    recall, oracle = compromised_recall(scored), compromised_recall(oracle_predictions(dbt, full))
    assert (recall >= oracle - 0.05).all(), (recall.to_dict(), oracle.to_dict())


def oracle_predictions(dbt: LocalDbt, full: pd.DataFrame) -> pd.DataFrame:
    """The first version's predictions on the features of the fully labelled world."""
    oracle = LocalDbt(dbt.folder / "oracle", dbt.env["KINESIS_ENDPOINT_URL"], dbt.stream + "-o")
    fresh_streams(make_client(dbt.env["KINESIS_ENDPOINT_URL"]), oracle.stream)
    full.to_parquet(oracle.folder / "world.parquet")
    oracle.build_training_features(oracle.folder / "world.parquet", oracle.folder / "models")
    inputs = list(MODEL_INPUTS)
    features = pd.DataFrame(
        oracle.query(f"select transaction_id, {', '.join(inputs)} from int_training_features"),
        columns=["TRANSACTION_ID", *inputs],
    )
    first = dbt.folder / "models" / MODEL_NAME / "v1"
    with (first / "model.pkl").open("rb") as file:
        model = pickle.load(file)
    info = json.loads((first / "metadata.json").read_text())
    scores = prior_corrected(
        model.predict_proba(features[inputs].to_numpy(float))[:, 1],
        info.get("genuine_sample_rate", 1.0),
    )
    threshold = info["threshold"]
    return features[["TRANSACTION_ID"]].assign(prediction=(scores >= threshold).astype(int))
