"""The refresh loop outlives an outage (#24): the local Kinesis stopped under a running loop
and started again 4 s later. The loop waits it out with backoff, says so once when it starts
and once when it ends, and goes on by itself: every published record is scored, once. Past
--max-outage it gives up in one line instead."""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path

import pytest

from fraud_detection.dbt_session import DbtSession
from fraud_detection.refresh.loop import CycleStats, OutageError, run_loop
from fraud_detection.testing.dbt import LocalDbt, environment
from fraud_detection.testing.kinesis import feedback_stream
from fraud_detection.testing.ports import free_port
from fraud_detection.testing.worlds import world_ready_to_train
from producer.cli import main as producer
from producer.local_kinesis import LocalKinesis

START = "2024-01-01"
WORLD = ["--customers", "150", "--terminals", "300", "--days", "40", "--seed", "4"]


def publish(dbt: LocalDbt, count: int, seed: int) -> None:
    code = producer([
        "stream", "--stream", dbt.stream, "--endpoint-url", dbt.env["KINESIS_ENDPOINT_URL"],
        *WORLD[:4], "--start-date", START, "--rate", "5000", "--count", str(count),
        "--seed", str(seed), "--labels-out", str(dbt.folder / f"labels-{seed}.csv"),
        "--no-progress",
    ])  # fmt: skip
    assert code == 0


def published(dbt: LocalDbt) -> set[int]:
    return {
        int(row["TRANSACTION_ID"])
        for path in dbt.folder.glob("labels-*.csv")
        for row in csv.DictReader(path.open())
    }


def wait_for(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class Loop(threading.Thread):
    """run_loop in a thread, as `python -m fraud_detection detect` runs it."""

    def __init__(self, dbt: LocalDbt, max_outage: float | None = None) -> None:
        super().__init__(daemon=True)
        self.dbt, self.max_outage = dbt, max_outage
        self.lines: list[str] = []
        self.stopping = threading.Event()
        self.error: Exception | None = None
        self.stats = CycleStats()

    def run(self) -> None:
        vars = {
            "stream_name": self.dbt.stream,
            "feedback_stream_name": feedback_stream(self.dbt.stream),
            "history_path": str(self.dbt.folder / "world" / "cust_payment_tx_history.parquet"),
        }
        try:
            with environment(self.dbt.env, self.dbt.folder):
                session = DbtSession(vars=vars, profiles_dir=Path(self.dbt.env["DBT_PROFILES_DIR"]))
                run_loop(
                    session, None, 0.5, self.stopping.is_set, log=self.lines.append,
                    stats=self.stats, max_outage=self.max_outage,
                )  # fmt: skip
        except Exception as error:  # the test reads it
            self.error = error


@pytest.fixture
def world(tmp_path):
    server = LocalKinesis(port=free_port(), data_dir=tmp_path / "kinesis")
    server.start()
    try:
        dbt = world_ready_to_train(tmp_path / "loop", server.endpoint_url, WORLD, START)
        trained = dbt.run("run", "-s", "+cust_payment_tx_fraud_predictions", vars=dbt.history_vars)
        assert trained.returncode == 0, trained.output[-3000:]
        yield dbt, server
    finally:
        server.stop()


def test_a_kinesis_outage_is_waited_out_and_every_record_scored_once(world):
    dbt, server = world
    publish(dbt, 200, seed=1)
    loop = Loop(dbt)
    loop.start()
    try:
        wait_for(lambda: loop.stats.cycles >= 1, "a first cycle")
        server.stop()
        wait_for(lambda: any(line.startswith("waiting: Kinesis") for line in loop.lines),
                 "the loop to notice the outage")  # fmt: skip
        time.sleep(4)
        server = LocalKinesis(port=server.port, data_dir=server.data_dir)
        server.start()
        publish(dbt, 300, seed=2)
        wait_for(lambda: any(line.startswith("recovered") for line in loop.lines), "recovery")
        cycles = loop.stats.cycles
        wait_for(lambda: loop.stats.cycles >= cycles + 2, "two cycles more")
    finally:
        loop.stopping.set()
        loop.join(timeout=120)
        world[1].stop()
        server.stop()
    assert loop.error is None, loop.error
    waits = [line for line in loop.lines if line.startswith("waiting:")]
    recoveries = [line for line in loop.lines if line.startswith("recovered")]
    assert waits == ["waiting: Kinesis cannot be reached; retrying with backoff"], loop.lines
    assert len(recoveries) == 1 and "Kinesis cannot be reached no more" in recoveries[0]
    assert loop.stats.outage_retries >= 2
    scored = dbt.query("select transaction_id from cust_payment_tx_fraud_predictions")
    ids = [row[0] for row in scored]
    assert len(ids) == len(set(ids)) == 500 and set(ids) == published(dbt)


def test_past_max_outage_the_loop_gives_up_in_one_line(world):
    dbt, server = world
    server.stop()
    loop = Loop(dbt, max_outage=3)
    started = time.monotonic()
    loop.start()
    loop.join(timeout=120)
    assert isinstance(loop.error, OutageError)
    assert str(loop.error).startswith("gave up after ")
    assert str(loop.error).endswith(" s (--max-outage): Kinesis cannot be reached")
    assert 3 < time.monotonic() - started < 60
    assert loop.lines == ["waiting: Kinesis cannot be reached; retrying with backoff"]
