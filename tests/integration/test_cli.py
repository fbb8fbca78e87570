"""The command line, end to end against a real kinesalite, and its errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pandas as pd
import pytest

from fraud_detection.testing.kinesis import all_payloads, read_stream
from fraud_detection.testing.ports import free_port
from producer.cli import main
from producer.records import WIRE_KEYS


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    return err


def test_stream_publishes_live_records_and_keeps_labels_apart(
    kinesalite, kinesis_client, stream_name, tmp_path, capsys
):
    labels = tmp_path / "labels.csv"
    code = main(
        [
            "stream",
            "--stream",
            stream_name,
            "--endpoint-url",
            kinesalite.endpoint_url,
            "--customers",
            "300",
            "--terminals",
            "500",
            "--rate",
            "2000",
            "--count",
            "400",
            "--labels-out",
            str(labels),
        ]
    )
    assert code == 0
    assert "sent 400 records" in capsys.readouterr().out
    payloads = all_payloads(kinesis_client, stream_name)
    assert len(payloads) == 400
    assert all(tuple(p) == WIRE_KEYS for p in payloads)
    rows = list(csv.DictReader(labels.open()))
    # A label is written once the stream accepted its record: in the order they were accepted.
    assert sorted(int(r["TRANSACTION_ID"]) for r in rows) == sorted(
        p["TRANSACTION_ID"] for p in payloads
    )
    assert {r["TX_FRAUD_SCENARIO"] for r in rows} <= {"0", "1", "2", "3"}

    # A second run appends labels and uses fresh ids.
    assert (
        main(
            [
                "stream",
                "--stream",
                stream_name,
                "--endpoint-url",
                kinesalite.endpoint_url,
                "--customers",
                "300",
                "--terminals",
                "500",
                "--rate",
                "2000",
                "--count",
                "100",
                "--labels-out",
                str(labels),
            ]
        )
        == 0
    )
    ids = [p["TRANSACTION_ID"] for p in all_payloads(kinesis_client, stream_name)]
    assert len(ids) == 500 == len(set(ids))
    assert len(list(csv.DictReader(labels.open()))) == 500


def test_replay_publishes_a_file_in_time_order(kinesalite, kinesis_client, stream_name, tmp_path):
    assert (
        main(
            [
                "generate",
                "--customers",
                "100",
                "--terminals",
                "200",
                "--days",
                "4",
                "--format",
                "csv",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    history = tmp_path / "cust_payment_tx_history.csv"
    # Shuffle the file: replay must restore TX_DATETIME order.
    frame = pd.read_csv(history).sample(frac=1, random_state=0)
    frame.to_csv(history, index=False)
    assert (
        main(
            [
                "replay",
                str(history),
                "--stream",
                stream_name,
                "--endpoint-url",
                kinesalite.endpoint_url,
            ]
        )
        == 0
    )
    shards = read_stream(kinesis_client, stream_name)
    payloads = [r["payload"] for shard in shards.values() for r in shard]
    assert len(payloads) == len(frame)
    for shard in shards.values():
        for key in {r["key"] for r in shard}:
            times = [r["payload"]["TX_DATETIME"] for r in shard if r["key"] == key]
            assert times == sorted(times)
    by_id = {p["TRANSACTION_ID"]: p for p in payloads}
    row = frame.iloc[0]
    assert by_id[int(row["TRANSACTION_ID"])]["TX_AMOUNT"] == pytest.approx(row["TX_AMOUNT"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["generate", "--out", "x", "--days", "0"], "--days: must be from 1 to 3,660"),
        (["generate", "--out", "x", "--start-date", "2020-13-01"], "not a date"),
        (["stream", "--count", "1"], "--labels-out"),
        (["stream", "--count", "1", "--duration", "2", "--labels-out", "l"], "not allowed with"),
        (["stream", "--rate", "-5", "--count", "1", "--labels-out", "l"], "from 0.01 to"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    assert message in one_line_error(capsys)


def test_unreachable_endpoint_exits_2_with_one_line(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    code = main(
        [
            "stream",
            "--endpoint-url",
            url,
            "--count",
            "5",
            "--labels-out",
            str(tmp_path / "labels.csv"),
        ]
    )
    assert code == 2
    assert "cannot reach the Kinesis endpoint" in one_line_error(capsys)


def test_replay_of_a_bad_file_exits_2_and_sends_nothing(
    kinesalite, kinesis_client, stream_name, tmp_path, capsys
):
    bad = tmp_path / "bad.csv"
    bad.write_text("TRANSACTION_ID,TX_DATETIME\n1,2024-01-01 00:00:00\n")
    assert (
        main(
            ["replay", str(bad), "--stream", stream_name, "--endpoint-url", kinesalite.endpoint_url]
        )
        == 2
    )
    assert "missing column(s) CUSTOMER_ID" in one_line_error(capsys)
    assert (
        main(
            [
                "replay",
                str(tmp_path / "absent.csv"),
                "--stream",
                stream_name,
                "--endpoint-url",
                kinesalite.endpoint_url,
            ]
        )
        == 2
    )
    assert "no such file" in one_line_error(capsys)
    assert all_payloads(kinesis_client, stream_name) == []


def test_local_kinesis_start_status_stop_as_separate_commands(tmp_path):
    port = str(free_port())
    common = ["--port", port, "--data-dir", str(tmp_path)]

    def run(action: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "producer", "local-kinesis", action, *common],
            capture_output=True,
            text=True,
            timeout=60,
        )

    started = run("start")
    assert started.returncode == 0, started.stderr
    try:
        assert f"http://127.0.0.1:{port}" in started.stdout
        assert run("status").returncode == 0
        assert "already running" in run("start").stdout
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True
        )
        if listening.returncode == 0:  # bound to loopback only
            assert listening.stdout.split()[3] == f"127.0.0.1:{port}"
    finally:
        stopped = run("stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert run("status").returncode == 3


def test_given_up_records_are_written_and_exit_1(
    kinesalite, stream_name, tmp_path, monkeypatch, capsys
):
    # kinesalite accepts every entry; a 1-byte budget per request cannot fail an entry either,
    # so a record above the 1 MiB Kinesis limit is the real-part way to be given up.
    big = tmp_path / "big.csv"
    pd.DataFrame(
        [
            {
                "TRANSACTION_ID": 1,
                "TX_DATETIME": "2024-01-01 00:00:00",
                "CUSTOMER_ID": 1,
                "TERMINAL_ID": 1,
                "TX_AMOUNT": 1.5,
                "TX_TIME_SECONDS": 0,
                "TX_TIME_DAYS": 0,
            }
        ]
    ).to_csv(big, index=False)
    from producer import records

    original = records.encode

    def huge(*columns):
        for record in original(*columns):
            yield records.Record(
                record.partition_key, record.data + b" " * (1 << 20), record.transaction_id
            )

    monkeypatch.setattr(records, "encode", huge)
    failed = tmp_path / "failed.jsonl"
    code = main(
        [
            "replay",
            str(big),
            "--stream",
            stream_name,
            "--endpoint-url",
            kinesalite.endpoint_url,
            "--failed-out",
            str(failed),
        ]
    )
    assert code == 1
    [line] = failed.read_text().splitlines()
    assert json.loads(line)["error_code"] == "RecordTooLarge"
    assert "1 records given up" in capsys.readouterr().err


def test_sigterm_sends_what_is_in_flight_then_summarises(
    kinesalite, kinesis_client, stream_name, tmp_path
):
    import signal
    import time

    labels = tmp_path / "labels.csv"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "producer",
            "stream",
            "--stream",
            stream_name,
            "--endpoint-url",
            kinesalite.endpoint_url,
            "--customers",
            "200",
            "--terminals",
            "400",
            "--rate",
            "400",
            "--duration",
            "60",
            "--labels-out",
            str(labels),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not labels.exists() or labels.stat().st_size < 2_000):
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopping: sending what is in flight" in err
    sent = int(out.split("sent ")[1].split(" records")[0].replace(",", ""))
    generated = len(list(csv.DictReader(labels.open())))
    assert 0 < sent == generated == len(all_payloads(kinesis_client, stream_name))


@pytest.mark.parametrize(
    "option, path, message",
    [
        ("--labels-out", "/proc/version", "cannot write --labels-out /proc/version"),
        ("--labels-out", "{tmp}/a_file/labels.csv", "a file stands where its folder should be"),
        ("--failed-out", "{tmp}/a_file/failed.jsonl", "a file stands where its folder should be"),
    ],
)
def test_an_output_that_cannot_be_written_fails_before_anything_is_sent(
    kinesalite, kinesis_client, stream_name, tmp_path, capsys, option, path, message
):
    (tmp_path / "a_file").write_text("")
    argv = ["stream", "--stream", stream_name, "--endpoint-url", kinesalite.endpoint_url,
            "--customers", "20", "--terminals", "40", "--count", "5",
            option, path.replace("{tmp}", str(tmp_path))]  # fmt: skip
    if option != "--labels-out":
        argv += ["--labels-out", str(tmp_path / "labels.csv")]
    assert main(argv) == 2
    assert message in one_line_error(capsys)
    assert not any(read_stream(kinesis_client, stream_name).values())  # nothing sent
