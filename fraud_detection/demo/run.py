"""`make demo`: the main job end to end on this machine, then a summary and a report.

1. starts the local Kinesis (127.0.0.1) and creates the stream;
2. generates the world with its history ending today, loads history and customer_info,
   builds the features, trains the model (a current one is reused) and runs the dbt tests;
3. streams live transactions (a `python -m producer stream` process) while the auto-refresh
   loop refreshes the streaming view every few seconds and scores what arrived;
4. raises each alert once: the terminal and `<out>/alerts.jsonl`;
5. prints the summary: published, ingested, rejected, alerts, live precision and recall,
   freshness latency; 6. writes `<out>/report.html` with its figures;
7. stops the stream and the local Kinesis, also on Ctrl-C.

The model is trained on the first two thirds of the history (four months of the default
183 days) so that the rest, after the 7-day label delay, is a true test period for the report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from common.stopping import StopFlag, handling_signals
from fraud_detection.alerts.delivery import AlertDelivery
from fraud_detection.alerts.marks import WarehouseMarks
from fraud_detection.alerts.sinks import JsonLinesSink, TerminalSink
from fraud_detection.dbt_session import DbtSession
from fraud_detection.defaults import DUCKDB_PATH, FEEDBACK_STREAM_NAME, MODELS_DIR, STREAM_NAME
from fraud_detection.demo.report import (
    LiveRun,
    format_summary,
    summarize,
    test_period_scores,
    test_quality,
    write_report,
)
from fraud_detection.refresh.loop import CycleStats, refresh_once, run_loop
from producer import local_kinesis
from producer.arguments import world_arguments
from producer.generate import generate_files
from producer.kinesis import ensure_stream, make_client
from producer.world import WorldConfig

DRAIN_CYCLES = 2  # cycles after the producer exits, to ingest and score its last records


@dataclass(frozen=True)
class DemoConfig:
    world: WorldConfig
    days: int
    rate: float
    duration: float
    interval: float
    out: Path
    data_dir: Path
    port: int
    kinesis_dir: Path
    stream: str = STREAM_NAME
    feedback_stream: str = FEEDBACK_STREAM_NAME


# The demo's fraud team is quick: each fraud is reported 20 s after it, so that within a minute
# of streaming the labels come back through the feedback stream (days, in production).
DEMO_FEEDBACK_DELAY_DAYS = 20 / 86_400


def local_paths() -> tuple[Path, Path]:
    """The local warehouse file and models folder, as the profile reads them (absolute)."""
    database = Path(os.environ.setdefault("FRAUD_DUCKDB_PATH", str(DUCKDB_PATH)))
    models = Path(os.environ.setdefault("FRAUD_MODELS_DIR", str(MODELS_DIR)))
    return database.resolve(), models.resolve()


def _step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def run_demo(config: DemoConfig) -> int:
    database, models_dir = local_paths()
    config.out.mkdir(parents=True, exist_ok=True)
    run = LiveRun(config.out / "live_labels.csv", config.out / "alerts.jsonl")
    for path in (run.labels_path, run.alerts_path):
        path.unlink(missing_ok=True)  # each demo reports on its own live run

    stop = StopFlag("stopping: finishing the cycle, then the summary (Ctrl-C again to abort)")
    with handling_signals(stop):
        return _run(config, run, stop, database, models_dir)


def _run(config: DemoConfig, run: LiveRun, stop: StopFlag, database: Path, models_dir: Path) -> int:
    server = local_kinesis.LocalKinesis(port=config.port, data_dir=config.kinesis_dir)
    stream: subprocess.Popen | None = None
    stream_log = None
    try:
        _step(f"starting the local Kinesis on 127.0.0.1:{config.port}")
        endpoint = server.start()
        os.environ["KINESIS_ENDPOINT_URL"] = endpoint
        client = make_client(endpoint, None, None)
        ensure_stream(client, config.stream, shards=2, create=True)
        ensure_stream(client, config.feedback_stream, shards=1, create=True)

        _step(f"generating the world: {config.days} days of history ending today")
        start = config.world.start_date
        print(
            generate_files(config.world, config.days, config.data_dir, "parquet").summary(
                config.days
            )
        )
        training_end = start + dt.timedelta(days=round(config.days * 2 / 3))
        dbt = DbtSession(
            vars={
                "history_path": str(config.data_dir / "cust_payment_tx_history.parquet"),
                "stream_name": config.stream,
                "feedback_stream_name": config.feedback_stream,
                "training_end": training_end.isoformat(),
            },
            quiet=False,
        )

        _step("dbt build: history, customer_info, features, the model (reused when current), tests")
        dbt.run(["build"])
        sinks = [TerminalSink(sys.stdout), JsonLinesSink(run.alerts_path)]
        delivery = AlertDelivery(sinks, WarehouseMarks(dbt))
        stats = CycleStats()
        refresh_once(dbt, delivery, stats)  # warms up: the model loads, older alerts go out
        if stop():
            print("stopped before streaming", file=sys.stderr)
            return 130

        _step(
            f"streaming {config.rate:g} transactions/s for {config.duration:g} s; "
            f"refreshing every {config.interval:g} s"
        )
        stream_log = (config.out / "stream.log").open("w")
        stream = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "producer",
                "stream",
                "--endpoint-url",
                endpoint,
                "--stream",
                config.stream,
                "--feedback-stream",
                config.feedback_stream,
                "--feedback-delay",
                str(DEMO_FEEDBACK_DELAY_DAYS),
                "--rate",
                str(config.rate),
                "--duration",
                str(config.duration),
                "--labels-out",
                str(run.labels_path),
                "--no-progress",
                *world_arguments(config.world),
            ],
            stdout=stream_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches it through us, once
        )
        progress = {"signalled": False, "cycles_at_exit": None}

        def should_stop() -> bool:
            if stop() and not progress["signalled"] and stream.poll() is None:
                # Once: it sends what is in flight, then exits (a second signal aborts it).
                stream.send_signal(signal.SIGTERM)
                progress["signalled"] = True
            if stream.poll() is None:
                return False
            if progress["cycles_at_exit"] is None:
                progress["cycles_at_exit"] = stats.cycles
            return stats.cycles >= progress["cycles_at_exit"] + DRAIN_CYCLES

        run_loop(dbt, delivery, config.interval, should_stop, stats=stats)
        cycles = stats.cycle_seconds[1:]  # the warm-up cycle loads the model: not counted
        print((config.out / "stream.log").read_text().strip())
        if stream.returncode not in (0, 1, -signal.SIGTERM):
            print(f"error: the producer exited with code {stream.returncode}", file=sys.stderr)
            return 2

        _step("summary")
        import duckdb

        connection = duckdb.connect(str(database), read_only=True)
        try:
            summary = summarize(connection, run)
            summary["refresh_cycles"] = len(cycles)
            summary["refresh_cycle_p50_s"] = round(sorted(cycles)[len(cycles) // 2], 3)
            summary["refresh_cycle_seconds"] = [round(seconds, 3) for seconds in cycles]
            test, info = test_period_scores(connection, models_dir)
            summary.update(test_quality(test, info))
            print(format_summary(summary))
            (config.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
            page = write_report(connection, run, summary, test, info, config.out)
        finally:
            connection.close()
        print(f"report: {page}")
        return 0
    finally:
        if stream is not None and stream.poll() is None:
            stream.terminate()
            stream.wait(timeout=30)
        if stream_log is not None:
            stream_log.close()
        server.stop()
