"""The main job end to end: `python -m fraud_detection demo` on a tiny world with a few seconds of
streaming, then the auto-refresh loop and the alert sink on their own.

Real parts throughout: kinesalite (started by the demo), dbt in process, DuckDB, the trained
model. The module runs the demo once and checks what it left behind.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from fraud_detection.testing.dbt import PROJECT_DIR, base_env
from fraud_detection.testing.ports import free_port
from producer.local_kinesis import LocalKinesis

pytestmark = pytest.mark.kinesis

WORLD = ["--customers", "150", "--terminals", "300", "--days", "75"]
FIGURES = (
    "monthly_trend.png",
    "test_precision_recall.png",
    "test_confusion_matrix.png",
    "live_precision_recall.png",
    "model_performance.png",
    "freshness_latency.png",
)


class Demo:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = base_env(folder)
        self.env["FRAUD_DUCKDB_PATH"] = str(folder / "fraud_detection.duckdb")
        self.env["FRAUD_MODELS_DIR"] = str(folder / "models")
        self.out = folder / "reports"
        self.kinesis_dir = folder / "kinesis"
        self.port = free_port()
        self.database = Path(self.env["FRAUD_DUCKDB_PATH"])

    def detection(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "fraud_detection", *args],
            env=self.env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.execute(sql).df()

    def labels(self) -> pd.DataFrame:
        return pd.read_csv(self.out / "live_labels.csv").rename(columns=str.lower)

    def alerts(self) -> list[dict]:
        return [json.loads(line) for line in (self.out / "alerts.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    demo = Demo(tmp_path_factory.mktemp("demo"))
    done = demo.detection(
        "demo",
        *WORLD,
        "--rate",
        "150",
        "--duration",
        "5",
        "--interval",
        "1",
        "--out",
        str(demo.out),
        "--data-dir",
        str(demo.folder / "data"),
        "--port",
        str(demo.port),
        "--kinesis-dir",
        str(demo.kinesis_dir),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    demo.output = done.stdout
    return demo


def test_every_published_transaction_is_ingested_and_scored_exactly_once(demo):
    published = set(demo.labels()["transaction_id"])
    assert len(published) >= 500  # 150/s for 5 s
    frame = demo.query("select transaction_id from stg_kinesis__stream_records")
    assert set(frame["transaction_id"]) == published
    assert frame["transaction_id"].is_unique  # no record was delivered twice
    scored = demo.query("select transaction_id from cust_payment_tx_fraud_predictions")
    assert set(scored["transaction_id"]) == published
    assert scored["transaction_id"].is_unique


def test_each_predicted_fraud_raises_one_alert_joined_to_its_label(demo):
    alerts = demo.alerts()
    ids = [int(alert["transaction_id"]) for alert in alerts]
    assert ids, "a tiny world with 16% frauds should raise alerts in 5 s"
    assert len(ids) == len(set(ids))  # no alert twice
    predicted = demo.query(
        "select transaction_id from cust_payment_tx_fraud_predictions where fraud_prediction = 1"
    )
    assert set(ids) == set(predicted["transaction_id"])
    labelled = demo.labels().set_index("transaction_id")
    assert set(ids) <= set(labelled.index)  # alerts and labels join on transaction_id
    # What the walkthrough's final query shows, for a person to act on.
    first = alerts[0]
    assert first["full_name"] and "@" in first["email_address"] and first["phone_number"]
    assert 0 <= first["fraud_probability"] <= 1 and float(first["tx_amount"]) >= 0
    assert "FRAUD ALERT" in demo.output and first["transaction_id"] in demo.output


def test_summary_and_report(demo):
    summary = json.loads((demo.out / "summary.json").read_text())
    labels = demo.labels()
    assert summary["published"] == summary["ingested"] == summary["scored"] == len(labels)
    assert summary["alerts_raised"] == len(demo.alerts())
    tp = summary["live_true_positives"]
    assert summary["live_precision"] == round(tp / summary["alerts_raised"], 4)
    assert summary["live_recall"] == round(tp / int(labels["tx_fraud"].sum()), 4)
    assert (
        0 < summary["freshness_p50_s"] <= summary["freshness_p95_s"] <= summary["freshness_max_s"]
    )
    assert "freshness, transaction to alert: p50" in demo.output
    page = (demo.out / "report.html").read_text()
    for figure in FIGURES:
        assert (demo.out / figure).stat().st_size > 5_000, figure
        assert f'src="{figure}"' in page


def test_the_demo_stopped_the_local_kinesis(demo):
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", demo.port), timeout=0.5)


def test_the_alert_sink_on_its_own_sends_nothing_twice(demo):
    again = demo.detection("alerts")
    assert again.returncode == 0, again.stderr
    assert "0 alerts delivered" in again.stderr
    assert "FRAUD ALERT" not in again.stdout
    # The marks are the warehouse's, not the output's: a new file is not sent the past.
    fresh = demo.folder / "elsewhere" / "alerts.jsonl"
    elsewhere = demo.detection("alerts", "--alerts-out", str(fresh))
    assert "0 alerts delivered" in elsewhere.stderr, elsewhere.stderr
    assert not fresh.exists()


def test_the_refresh_loop_leaves_the_warehouse_free_between_cycles(demo):
    """`detect` on its own: while it runs, another process can open the DuckDB file."""
    server = LocalKinesis(port=demo.port, data_dir=demo.kinesis_dir)
    server.start()
    try:
        demo.env["KINESIS_ENDPOINT_URL"] = server.endpoint_url
        loop = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fraud_detection",
                "detect",
                "--interval",
                "2",
                "--duration",
                "15",
            ],
            env=demo.env,
            cwd=PROJECT_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        opened, held = 0, 0
        while loop.poll() is None:
            try:
                with duckdb.connect(str(demo.database)) as connection:
                    connection.execute("select count(*) from fraud_alerts").fetchall()
                    opened += 1
                    if held < 3:  # hold it a moment: the loop must wait, not fail
                        held += 1
                        time.sleep(1.5)
            except duckdb.IOException:
                pass
            # A reader now and then, as a person at a notebook: one that reopens the file
            # every instant starves any writer, this loop or another.
            time.sleep(0.2 if held < 3 else 1.0)
        _out, err = loop.communicate()
    finally:
        server.stop()
    assert loop.returncode == 0, err[-2000:]
    assert opened >= 3, err
    cycles = int(err.strip().splitlines()[-1].split()[0])
    assert cycles >= 2, err


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_ctrl_c_stops_the_stream_and_the_local_kinesis_and_still_summarises(demo):
    out = demo.folder / "interrupted"
    demo_process = subprocess.Popen(
        [sys.executable, "-m", "fraud_detection", "demo", *WORLD, "--rate", "100",
         "--duration", "300", "--interval", "1", "--out", str(out),
         "--data-dir", str(demo.folder / "data"), "--port", str(demo.port),
         "--kinesis-dir", str(demo.kinesis_dir)],
        env=demo.env, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    lines = []
    for line in demo_process.stdout:
        lines.append(line)
        if line.startswith("== streaming"):
            break
    time.sleep(3)
    assert _processes_mentioning(str(out / "live_labels.csv")), "the stream should be running"
    demo_process.send_signal(signal.SIGINT)
    rest, _ = demo_process.communicate(timeout=120)
    assert demo_process.returncode == 0, "".join(lines) + rest
    assert "== summary" in rest and (out / "report.html").exists()
    # Stopped mid-stream, nothing handed to the publisher is lost or ingested twice.
    summary = json.loads((out / "summary.json").read_text())
    assert summary["published"] == summary["ingested"] == summary["scored"] > 0
    assert summary["duplicate_deliveries"] == 0
    assert not _processes_mentioning(str(out / "live_labels.csv"))
    assert not _processes_mentioning(str(demo.kinesis_dir))  # kinesalite's command line
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", demo.port), timeout=0.5)
