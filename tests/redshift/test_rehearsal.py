"""The redshift target, executed: the real dbt-redshift adapter and the project's redshift__
code against a real PostgreSQL 15, through the bridge and shim of tests/redshift/rehearsal
(what Redshift does that PostgreSQL does not, emulated from its documentation pages).

One small world goes through a first deployment as docs/deploy.md describes it: the tests run
in this order and share the warehouse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time

import pytest

from fraud_detection.defaults import MODEL_INPUTS
from fraud_detection.learner.store import ModelStore
from fraud_detection.learner.training import prior_corrected
from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import feedback_stream
from producer.kinesis import make_client
from tests.redshift.rehearsal.deployment import SCHEMA, ok

pytestmark = pytest.mark.rehearsal
SCORING_INPUTS = ", ".join(f"scoring.{column}" for column in MODEL_INPUTS)


def test_a_first_build_trains_in_the_background_and_says_how_to_wait(deployment):
    first = deployment.dbt("build")
    output = first.output
    assert first.returncode != 0  # only the predictions: no version serves yet
    assert "no version of cust_cc_txn_fd serves yet" in output
    assert "python -m fraud_detection wait-model --target redshift" in output
    assert "cust_cc_txn_fd: training v1 in the background" in output
    assert "ERROR=1 " in output, output[-3000:]
    statements = " ".join(deployment.rehearsal.statements).lower()
    assert "create external schema if not exists custpaytxn from kinesis" in statements
    assert "create model fraud_detection.cust_cc_txn_fd_v1" in statements
    assert deployment.versions() == [(1, "training")]
    assert deployment.query(f"select count(*) from {SCHEMA}.stg_kinesis__transactions")[0][0] == 400


def test_wait_model_makes_v1_serve_and_builds_the_predictions(deployment):
    output = ok(deployment.detection("wait-model", "--poll-seconds", "1"))
    assert "v1 serves; the predictions use it" in output
    assert deployment.versions() == [(1, "serving")]
    [(state,)] = deployment.query(
        "select model_state from svv_ml_model_info where trim(model_name) = 'cust_cc_txn_fd_v1'"
    )
    assert state.strip() == "Model is Ready" and len(state) == 128  # char(128): trim it
    rows = deployment.query(
        f"select fraud_prediction, fraud_probability from {SCHEMA}.cust_payment_tx_fraud_predictions"
    )
    assert len(rows) == 400
    assert all(p in (0, 1) and 0 <= q <= 1 for p, q in rows)
    view = deployment.query(
        "select definition from pg_views where viewname = 'cust_payment_tx_fraud_predictions'"
    )[0][0]
    assert "fraud_detection.fn_customer_cc_fd_v1(" in view
    assert "fraud_detection.fn_customer_cc_fd_v1_probabilities(" in view


def test_the_offline_compile_renders_deployable_sql_for_every_model(deployment):
    """#28: what `dbt compile` renders with offline_compile (no warehouse asked) plans on the
    deployment v1 serves (EXPLAIN, in the bridge's dialect), and no view reads itself."""
    ok(deployment.dbt("compile", "--no-populate-cache", "-s", "fqn:*", offline_compile=True))
    manifest = json.loads((deployment.work / "target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) >= 15
    compiled = deployment.work / "target" / "compiled" / "fraud_detection"
    for node in models:
        sql = (compiled / node["original_file_path"]).read_text()
        if node["config"]["materialized"] == "view":
            assert node["relation_name"] not in sql, f"{node['name']} reads itself"
        deployment.rehearsal.redshift(f"explain {sql}")


def test_a_second_and_third_build_change_nothing_and_succeed(deployment):
    for _ in range(2):
        output = ok(deployment.dbt("build"))
        assert "cust_payment_tx_stream: skip (auto refresh is on)" in output
        assert "the model is current (v1" in output
    assert deployment.versions() == [(1, "serving")]


def test_auto_refresh_is_turned_off_and_on_with_alter(deployment):
    def auto_refresh() -> str:
        [(flag,)] = deployment.query(
            "select autorefresh from svv_mv_info where name = 'cust_payment_tx_stream'"
        )
        return str(flag).strip().lower()

    assert auto_refresh() in ("t", "true")
    ok(deployment.dbt("run", "-s", "cust_payment_tx_stream", stream_auto_refresh=False))
    assert auto_refresh() in ("f", "false")
    ok(deployment.dbt("run", "-s", "cust_payment_tx_stream", stream_auto_refresh=True))
    assert auto_refresh() in ("t", "true")
    alters = [s.lower() for s in deployment.rehearsal.statements if "auto refresh" in s.lower()]
    assert any(s.startswith("alter materialized view") and s.endswith("no") for s in alters)
    assert any(s.startswith("alter materialized view") and s.endswith("yes") for s in alters)


def test_a_rebuild_is_refused_without_the_opt_in_and_restores_the_views_with_it(deployment):
    refused = deployment.dbt("run", "-s", "cust_payment_tx_stream", "--full-refresh")
    assert refused.returncode != 0 and "refused --full-refresh" in refused.output
    rebuilt = deployment.dbt(
        "run",
        "-s",
        "cust_payment_tx_stream",
        "--full-refresh",
        rebuild_streaming_views=["cust_payment_tx_stream"],
    )
    ok(rebuilt)
    # The stream still holds every record: the rebuilt view has them all again, and the
    # late-binding staging views on it answer.
    deployment.rehearsal.refresh_streams()
    assert deployment.query(f"select count(*) from {SCHEMA}.stg_kinesis__transactions")[0][0] == 400


def test_a_record_too_large_for_json_serialize_is_a_reject(deployment):
    record = {"TRANSACTION_ID": 7, "TX_DATETIME": "2026-11-28 10:00:00", "note": "x" * 70_000}
    make_client(deployment.endpoint_url).put_record(
        StreamName=deployment.stream, Data=json.dumps(record).encode(), PartitionKey="7"
    )
    deployment.rehearsal.refresh_streams()
    ok(deployment.dbt("run", "-s", "path:models/staging/kinesis"))  # the ledger takes it
    rejects = deployment.query(
        f"select reject_reason from {SCHEMA}.stg_kinesis__rejects where octet_length(kinesis_data) > 65535"
    )
    assert rejects == [("too_large",)]
    assert deployment.query(f"select count(*) from {SCHEMA}.stg_kinesis__transactions")[0][0] == 400


def test_a_retrain_keeps_the_predictions_answering_then_switches(deployment):
    started = deployment.dbt("run", "-s", "cust_cc_txn_fd", retrain_models=["cust_cc_txn_fd"])
    assert "training v2 in the background; v1 serves meanwhile" in ok(started)
    assert deployment.versions() == [(1, "serving"), (2, "training")]
    answered = deployment.query(f"select count(*) from {SCHEMA}.cust_payment_tx_fraud_predictions")
    assert answered[0][0] == 400
    ok(deployment.detection("wait-model", "--poll-seconds", "1"))
    assert deployment.versions() == [(1, "retired"), (2, "serving")]
    models = {
        row[0].strip() for row in deployment.query("select model_name from svv_ml_model_info")
    }
    assert models == {"cust_cc_txn_fd_v2"}  # v1 was dropped once the predictions switched
    assert (
        deployment.query(f"select count(*) from {SCHEMA}.cust_payment_tx_fraud_predictions")[0][0]
        == 400
    )


def test_fraud_reports_label_the_streamed_transactions(deployment):
    """The feedback stream on the Redshift path: its streaming view, its ledger's checks and
    int_labelled_transactions (the latest report within the delay, else genuine). The
    streamed transactions are live ones, so the reports come seconds after them."""
    first, second, third = deployment.query(
        f"select transaction_id, tx_datetime from {SCHEMA}.stg_kinesis__transactions"
        " order by transaction_id limit 3"
    )

    def report(transaction, seconds: float, fraud: int = 1) -> bytes:
        at = transaction[1] + dt.timedelta(seconds=seconds)
        return json.dumps(
            {"TRANSACTION_ID": transaction[0], "TX_FRAUD": fraud, "REPORTED_AT": str(at)}
        ).encode()

    client = make_client(deployment.endpoint_url)
    for data in (
        report(first, 1), report(first, 1),  # a redelivery: taken once
        report(second, 2), report(second, 3, fraud=0),  # then withdrawn: the latest wins
        b'{"TRANSACTION_ID": 1, "TX_FRAUD": 2, "REPORTED_AT": "2026-01-01 00:00:00"}',
    ):  # fmt: skip
        client.put_record(
            StreamName=feedback_stream(deployment.stream), Data=data, PartitionKey="1"
        )
    deployment.rehearsal.refresh_streams()
    ok(deployment.dbt("run", "-s", "path:models/staging/kinesis", "int_labelled_transactions"))
    assert deployment.query(
        f"select reject_reason from {SCHEMA}.stg_kinesis__feedback_rejects"
    ) == [("invalid_tx_fraud",)]
    assert deployment.query(f"select count(*) from {SCHEMA}.stg_kinesis__fraud_reports") == [(3,)]
    labels = dict(
        deployment.query(
            f"select transaction_id, tx_fraud from {SCHEMA}.int_labelled_transactions"
            f" where transaction_id in ({first[0]}, {second[0]}, {third[0]})"
        )
    )
    assert labels == {first[0]: 1, second[0]: 0, third[0]: 0}


def test_the_detect_loop_gives_the_local_targets_predictions_and_alerts(deployment, kinesalite):
    deployment.publish(300)
    alerts = deployment.work / "alerts.jsonl"
    ok(
        deployment.detection(
            "detect",
            "--interval",
            "2",
            "--duration",
            "20",
            "--alerts-out",
            str(alerts),
        )
    )
    rehearsed = dict(
        deployment.query(
            f"select transaction_id, fraud_prediction from {SCHEMA}.cust_payment_tx_fraud_predictions"
        )
    )
    assert len(rehearsed) == 700
    queued = {
        row[0] for row in deployment.query(f"select transaction_id from {SCHEMA}.fraud_alerts")
    }
    delivered = {
        int(json.loads(line)["transaction_id"]) for line in alerts.read_text().splitlines()
    }
    assert queued == {t for t, p in rehearsed.items() if p == 1} == delivered
    # The delivery marks moved in the warehouse, beside the queue, one per sink.
    marks = deployment.query(
        f"select sink, delivered_through_transaction_id from {SCHEMA}.fraud_alert_deliveries"
    )
    assert sorted(sink for sink, _ in marks) == ["file", "terminal"]

    # The same records, scored locally with the same model: the serving version's artifact.
    local = LocalDbt(deployment.work / "local", kinesalite.endpoint_url, deployment.stream)
    models = deployment.work / "local" / "models"
    [artifact] = (deployment.rehearsal.models_dir / SCHEMA / "cust_cc_txn_fd_v2").glob("v*")
    store = ModelStore(models, "cust_cc_txn_fd")
    model, info = ModelStore(artifact.parent.parent, artifact.parent.name).load()
    store.save(model, info)
    local.env["FRAUD_MODELS_DIR"] = str(models)
    history = f"history_path: '{deployment.world / 'cust_payment_tx_history.parquet'}'"
    built = local.run("build", "--exclude", "cust_cc_txn_fd", vars=history)
    assert built.returncode == 0, built.output[-3000:]
    scored_locally = dict(
        local.query(
            "select transaction_id, fraud_prediction from cust_payment_tx_fraud_predictions"
        )
    )
    assert scored_locally == rehearsed
    local_alerts = {row[0] for row in local.query("select transaction_id from fraud_alerts")}
    assert local_alerts == queued
    shutil.rmtree(deployment.work / "local")


def test_a_retrain_on_a_sliding_window_serves_only_through_the_gate(deployment):
    """Last, as it changes the serving model. training_days: CREATE MODEL holds out the gate week (the newest 7 days of the training
    set); once ready the version waits at 'gating' until wait-model measures it and the
    serving version there, through their functions, and records the gate's decision."""
    if deployment.versions()[-1][1] != "serving":
        ok(deployment.detection("wait-model", "--poll-seconds", "1"))
    serving = deployment.versions()[-1][0]
    window = {"training_days": 20, "training_end": None}
    started = ok(deployment.dbt("run", "-s", "cust_cc_txn_fd", **window))
    new = serving + 1
    assert f"training v{new} in the background" in started
    [(gate_start, gate_end, training_end)] = deployment.query(
        f"select gate_start, gate_end, training_end from {SCHEMA}.dbt_ml_model_versions"
        f" where version = {new}"
    )
    assert gate_end - gate_start == dt.timedelta(days=7) and training_end < gate_start
    newest = deployment.query(f"select max(tx_datetime) from {SCHEMA}.int_training_features")
    assert gate_start <= newest[0][0] < gate_end

    # Ready: held until the gate has measured it (the predictions still call the serving one).
    deadline = time.monotonic() + 300
    while f"v{new} is training" in (
        held := ok(deployment.dbt("run", "-s", "cust_cc_txn_fd", **window))
    ):
        assert time.monotonic() < deadline, held
        time.sleep(1)
    assert f"v{new} is ready; wait-model measures it on its gate week" in held
    assert deployment.versions()[-1] == (new, "gating")
    waited = ok(deployment.detection("wait-model", "--poll-seconds", "1", **window))
    [row] = deployment.query(
        "select status, reason, average_precision, card_precision_at_100, serving_version,"
        " serving_average_precision, serving_card_precision_at_100"
        f" from {SCHEMA}.dbt_ml_model_versions where version = {new}"
    )
    status, reason, ap, cp, against, serving_ap, serving_cp = row
    assert status in ("serving", "refused") and against == serving, row
    assert 0 < ap <= 1 and 0 < serving_ap <= 1 and 0 <= cp <= 1 and 0 <= serving_cp <= 1
    worse = ap < serving_ap - 0.02 or cp < serving_cp - 0.02
    assert (status == "refused") == worse, row
    verb = "is refused" if worse else "serves"
    assert f"cust_cc_txn_fd v{new} {verb}: {reason}" in waited
    # The same data again: nothing retrained, whatever the gate decided.
    again = ok(deployment.dbt("run", "-s", "cust_cc_txn_fd", **window))
    assert "the model is current" in again and deployment.versions()[-1][0] == new


def test_over_max_cells_create_model_trains_on_every_fraud_and_the_local_sample(deployment):
    """Last too. A budget of every fraud and half the genuine rows: CREATE MODEL's FROM keeps
    every fraud and the genuine rows of the MD5 rule, the rows the local target keeps; the
    rate is recorded with the version, and the predictions correct the probabilities back to
    the true base rate, with the label the corrected probability at 0.5."""
    rows, frauds = deployment.query(
        f"select count(*), sum(tx_fraud) from {SCHEMA}.int_training_features"
        f" where tx_datetime < '{deployment.vars['training_end']}'"
    )[0]
    budget = {"model_max_cells": int((frauds + (rows - frauds) // 2) * 16 / 0.98)}
    started = ok(deployment.dbt("run", "-s", "cust_cc_txn_fd", **budget))
    new = deployment.versions()[-1][0]
    assert f"training v{new} in the background" in started
    [create] = [
        s
        for s in deployment.rehearsal.raw_statements
        if f"create model {SCHEMA}.cust_cc_txn_fd_v{new}" in s
    ]
    assert "tx_fraud = 1 or substr(md5('0:' || cast(transaction_id as varchar)), 1, 8) <" in (
        create
    )
    ok(deployment.detection("wait-model", "--poll-seconds", "1", **budget))
    [(status, rate)] = deployment.query(
        f"select status, genuine_sample_rate from {SCHEMA}.dbt_ml_model_versions"
        f" where version = {new}"
    )
    assert status == "serving" and 0.45 < rate < 0.5
    trained = ModelStore(deployment.rehearsal.models_dir / SCHEMA, f"cust_cc_txn_fd_v{new}")
    info = trained.info()
    threshold = f"{int(rate * 2**32):08x}"
    genuine_ids = deployment.query(
        f"select transaction_id from {SCHEMA}.int_training_features"
        f" where tx_datetime < '{deployment.vars['training_end']}' and tx_fraud = 0"
    )
    kept = sum(hashlib.md5(f"0:{i}".encode()).hexdigest()[:8] < threshold for (i,) in genuine_ids)
    assert (info.training_rows, info.training_frauds) == (frauds + kept, frauds)
    assert info.training_rows * 16 <= 0.98 * budget["model_max_cells"]

    ok(deployment.dbt("build", "-s", "cust_payment_tx_fraud_predictions", **budget))
    served = deployment.query(f"""
        select
            predictions.fraud_probability,
            predictions.fraud_prediction,
            json_serialize({SCHEMA}.fn_customer_cc_fd_v{new}_probabilities({SCORING_INPUTS}))
        from {SCHEMA}.cust_payment_tx_fraud_predictions as predictions
        inner join {SCHEMA}.int_scoring_features as scoring using (transaction_id)
    """)
    assert served
    for probability, prediction, metrics in served:
        metrics = json.loads(metrics)
        raw = dict(zip(metrics["labels"], metrics["probabilities"], strict=True))["1"]
        assert probability == pytest.approx(prior_corrected(raw, rate))
        assert prediction == int(probability >= 0.5)
