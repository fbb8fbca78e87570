"""Command line: ``python -m producer generate|stream|replay|local-kinesis|detect|alerts|demo``.

``main(argv)`` returns the exit code: 0 done, 1 some records were given up, 2 bad input or
an unusable stream or endpoint (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from producer import local_kinesis
from producer.errors import ProducerError
from producer.publish import MAX_BYTES_PER_REQUEST, Publisher, PublishStats
from producer.records import LABEL_COLUMNS, Record, encode_frame, encode_live
from producer.world import WorldConfig, build_world, keyed_rng

# pandas, pyarrow and boto3 take seconds to import on a small machine: the commands that
# need them import them, so `local-kinesis status` answers at once.

DEFAULT_STREAM = "cust-payment-txn-stream"
STREAM_LIVE = 6  # keyed_rng stream of live runs


class UsageError(ProducerError):
    """Bad input from the user: printed as one line, exit code 2."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), not the whole usage text."""

    def error(self, message: str) -> None:
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its one-line message
        return int(exit_.code or 0)
    try:
        return args.handler(args)
    except ProducerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C: what was started is already stopped
        print("interrupted", file=sys.stderr)
        return 130
    except EndpointConnectionError as error:
        print(
            f"error: cannot reach the Kinesis endpoint {error.kwargs.get('endpoint_url')}",
            file=sys.stderr,
        )
        return 2
    except (ClientError, BotoCoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


# -- argument parsing -------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


def _add_world_arguments(
    parser: argparse.ArgumentParser, start_help: str = f"default {WorldConfig().start_date}"
) -> None:
    """The world's flags; ``start_help`` says what a missing --start-date means."""
    world = parser.add_argument_group(
        "world (the same values give the same customers and terminals)"
    )
    defaults = WorldConfig()
    world.add_argument("--customers", type=_positive_int, default=defaults.customers)
    world.add_argument("--terminals", type=_positive_int, default=defaults.terminals)
    world.add_argument(
        "--radius",
        type=_positive_float,
        default=defaults.radius,
        help="a customer uses the terminals closer than this (default %(default)s)",
    )
    world.add_argument(
        "--start-date",
        type=_date,
        help=f"first day of the history, UTC ({start_help})",
    )
    world.add_argument("--seed", type=_non_negative_int, default=defaults.seed)


def _add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("stream")
    aws.add_argument("--stream", default=DEFAULT_STREAM, help="stream name (default %(default)s)")
    aws.add_argument("--endpoint-url", help="e.g. http://127.0.0.1:4567 for the local stream")
    aws.add_argument("--region", help="AWS region (default: from the profile or environment)")
    aws.add_argument("--profile", help="AWS named profile")
    aws.add_argument(
        "--shards",
        type=_positive_int,
        default=2,
        help="shards of a stream created here (default %(default)s)",
    )
    aws.add_argument(
        "--create-stream",
        action="store_true",
        help="create the stream on AWS when missing (local streams always are)",
    )
    aws.add_argument(
        "--max-batch-bytes",
        type=_positive_int,
        default=MAX_BYTES_PER_REQUEST,
        help="byte budget of one PutRecords request (default 5 MiB)",
    )
    aws.add_argument(
        "--max-attempts",
        type=_positive_int,
        default=8,
        help="attempts per record before it is given up (default %(default)s)",
    )
    aws.add_argument(
        "--failed-out",
        type=Path,
        default=Path("failed_records.jsonl"),
        help="where given-up records are written (default %(default)s)",
    )
    aws.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m producer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    generate = commands.add_parser("generate", help="write a labelled history and customer_info")
    _add_world_arguments(generate)
    generate.add_argument("--days", type=_positive_int, default=183)
    generate.add_argument("--out", type=Path, required=True, help="output folder")
    generate.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    generate.set_defaults(handler=_generate)

    stream = commands.add_parser("stream", help="publish live transactions")
    _add_world_arguments(stream)
    _add_stream_arguments(stream)
    stream.add_argument(
        "--rate",
        type=_positive_float,
        default=100.0,
        help="records per second (default %(default)s)",
    )
    amount = stream.add_mutually_exclusive_group(required=True)
    amount.add_argument("--count", type=_positive_int, help="records to send")
    amount.add_argument("--duration", type=_positive_float, help="seconds to send for")
    stream.add_argument(
        "--labels-out",
        type=Path,
        required=True,
        help="CSV of TRANSACTION_ID, TX_FRAUD, TX_FRAUD_SCENARIO (appended)",
    )
    stream.set_defaults(handler=_stream)

    replay = commands.add_parser("replay", help="publish a CSV or Parquet history in time order")
    replay.add_argument("file", type=Path)
    _add_stream_arguments(replay)
    replay.add_argument(
        "--rate", type=_positive_float, help="records per second (default: as fast as it can)"
    )
    replay.add_argument("--count", type=_positive_int, help="send only the first N records")
    replay.set_defaults(handler=_replay)

    kinesis = commands.add_parser("local-kinesis", help="start, stop or check the local Kinesis")
    kinesis.add_argument("action", choices=("start", "stop", "status"))
    kinesis.add_argument("--port", type=_positive_int, default=local_kinesis.DEFAULT_PORT)
    kinesis.add_argument("--data-dir", type=Path, default=local_kinesis.DEFAULT_DATA_DIR)
    kinesis.set_defaults(handler=_local_kinesis)

    detect = commands.add_parser(
        "detect", help="the auto-refresh loop: refresh, score and alert every few seconds"
    )
    _add_dbt_arguments(detect)
    _add_alert_arguments(detect)
    detect.add_argument(
        "--interval",
        type=_positive_float,
        default=2.0,
        help="seconds from one cycle's start to the next (default %(default)s)",
    )
    detect.add_argument(
        "--duration", type=_positive_float, help="stop after this many seconds (default: Ctrl-C)"
    )
    detect.set_defaults(handler=_detect)

    alerts = commands.add_parser(
        "alerts", help="deliver the alerts queued since the last delivery, once"
    )
    _add_dbt_arguments(alerts)
    _add_alert_arguments(alerts)
    alerts.set_defaults(handler=_alerts)

    demo = commands.add_parser("demo", help="the main job end to end, with a summary and report")
    _add_world_arguments(demo, start_help="default: --days before today, so it ends today")
    demo.add_argument("--days", type=_positive_int, default=183, help="days of history")
    demo.add_argument("--rate", type=_positive_float, default=300.0, help="transactions/s")
    demo.add_argument("--duration", type=_positive_float, default=60.0, help="seconds to stream")
    demo.add_argument(
        "--interval", type=_positive_float, default=2.0, help="seconds between refreshes"
    )
    demo.add_argument("--out", type=Path, default=Path("reports"), help="summary and report")
    demo.add_argument("--data-dir", type=Path, default=Path("data"), help="generated world")
    demo.add_argument("--port", type=_positive_int, default=local_kinesis.DEFAULT_PORT)
    demo.add_argument("--kinesis-dir", type=Path, default=local_kinesis.DEFAULT_DATA_DIR)
    demo.set_defaults(handler=_demo)
    return parser


def _add_dbt_arguments(parser: argparse.ArgumentParser) -> None:
    dbt = parser.add_argument_group("dbt")
    dbt.add_argument("--target", help="dbt target (default: the profile's, local)")
    dbt.add_argument("--vars", type=_json_object, default={}, help="dbt vars, as JSON")


def _add_alert_arguments(parser: argparse.ArgumentParser) -> None:
    sinks = parser.add_argument_group("alert sinks (the terminal is always one)")
    sinks.add_argument("--alerts-out", type=Path, help="append alerts to this JSON-lines file")
    sinks.add_argument(
        "--sns-topic-arn",
        default=os.environ.get("FRAUD_ALERTS_SNS_TOPIC_ARN"),
        help="publish alerts to this SNS topic (default: $FRAUD_ALERTS_SNS_TOPIC_ARN)",
    )
    sinks.add_argument("--region", help="AWS region of the SNS topic")
    sinks.add_argument("--profile", help="AWS named profile")
    sinks.add_argument(
        "--alert-state",
        type=Path,
        default=Path(".local/alerts_state.json"),
        help="where the newest delivered alert is remembered (default %(default)s)",
    )


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not JSON: {text}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"not a JSON object: {text}")
    return value


# -- commands ---------------------------------------------------------------------------------


def _delivery(args: argparse.Namespace):
    from producer.alerts import AlertDelivery, DeliveryState, JsonLinesSink, SnsSink, TerminalSink

    sinks = [TerminalSink(sys.stdout)]
    if args.alerts_out is not None:
        sinks.append(JsonLinesSink(args.alerts_out))
    if args.sns_topic_arn:
        import boto3

        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        sinks.append(SnsSink(session.client("sns"), args.sns_topic_arn))
    return AlertDelivery(sinks, DeliveryState(args.alert_state))


def _dbt_session(args: argparse.Namespace):
    from producer.dbt_session import DbtSession
    from producer.demo import profiles_dir

    return DbtSession(target=args.target, vars=args.vars, profiles_dir=profiles_dir())


def _detect(args: argparse.Namespace) -> int:
    from producer.detect import run_loop

    dbt = _dbt_session(args)
    dbt.runner()  # parse the project first: --duration counts refresh time only
    delivery = _delivery(args)
    stop = _StopFlag()
    deadline = None if args.duration is None else time.monotonic() + args.duration
    previous = {sig: signal.signal(sig, stop.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stats = run_loop(
            dbt,
            delivery,
            args.interval,
            lambda: stop() or (deadline is not None and time.monotonic() >= deadline),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    cycles = sorted(stats.cycle_seconds)
    median = cycles[len(cycles) // 2] if cycles else 0.0
    print(
        f"{stats.cycles:,} refresh cycles (median {median:.2f} s), {stats.alerts:,} alerts raised, "
        f"{stats.busy_retries:,} waits for the busy warehouse",
        file=sys.stderr,
    )
    return 0


def _alerts(args: argparse.Namespace) -> int:
    delivered = _delivery(args).deliver(_dbt_session(args).query)
    print(f"{len(delivered):,} alerts delivered", file=sys.stderr)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from producer.demo import DemoConfig, run_demo

    start = args.start_date or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=args.days)
    args.start_date = start
    return run_demo(
        DemoConfig(
            world=_world_config(args),
            days=args.days,
            rate=args.rate,
            duration=args.duration,
            interval=args.interval,
            out=args.out,
            data_dir=args.data_dir,
            port=args.port,
            kinesis_dir=args.kinesis_dir,
        )
    )


def _world_config(args: argparse.Namespace) -> WorldConfig:
    if args.start_date is None:
        args.start_date = WorldConfig().start_date
    return WorldConfig(
        customers=args.customers,
        terminals=args.terminals,
        radius=args.radius,
        start_date=args.start_date,
        seed=args.seed,
    )


def _generate(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from producer.customer_info import generate_customer_info
    from producer.files import transactions_table, write_table
    from producer.history import generate_history

    started = time.perf_counter()
    config = _world_config(args)
    world = build_world(config)
    history = generate_history(world, args.days)
    suffix = f".{args.format}"
    history_path = args.out / f"cust_payment_tx_history{suffix}"
    customers_path = args.out / f"customer_info{suffix}"
    write_table(transactions_table(history, config.start), history_path)
    write_table(
        pa.Table.from_pandas(generate_customer_info(config), preserve_index=False), customers_path
    )
    frauds = int(history.tx_fraud.sum())
    by_scenario = np.bincount(history.tx_fraud_scenario, minlength=4)
    print(
        f"wrote {len(history):,} transactions ({frauds:,} frauds, {frauds / len(history):.2%}; "
        f"scenarios 1/2/3: {by_scenario[1]:,}/{by_scenario[2]:,}/{by_scenario[3]:,}) "
        f"over {args.days} days to {history_path}\n"
        f"wrote {config.customers:,} customers to {customers_path} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


def _stream(args: argparse.Namespace) -> int:
    from producer.live import LiveSimulator

    config = _world_config(args)
    now = dt.datetime.now(dt.UTC)
    if config.start > now:
        raise UsageError(f"--start-date {config.start_date} is in the future")
    publisher = _connect(args)
    world = build_world(config)
    simulator = LiveSimulator(
        world, keyed_rng(config.seed, STREAM_LIVE, int(now.timestamp() * 1e6)), now
    )
    deadline = None if args.duration is None else time.monotonic() + args.duration
    total = args.count
    chunk = publisher.paced_batch_size(args.rate)

    args.labels_out.parent.mkdir(parents=True, exist_ok=True)
    new_file = not args.labels_out.exists() or args.labels_out.stat().st_size == 0
    with args.labels_out.open("a", newline="") as labels_file:
        labels = csv.writer(labels_file)
        if new_file:
            labels.writerow(LABEL_COLUMNS)

        def live_records() -> Iterator[Record]:
            made = 0
            while (total is None or made < total) and (
                deadline is None or time.monotonic() < deadline
            ):
                size = chunk if total is None else min(chunk, total - made)
                batch = simulator.take(size, dt.datetime.now(dt.UTC))
                tx = batch.transactions
                truth = zip(tx.tx_fraud.tolist(), tx.tx_fraud_scenario.tolist(), strict=True)
                made += size
                # A label is written as its record is handed to the publisher, which sends
                # every record it took, even when stopped: labels and stream stay in step.
                for record, (fraud, scenario) in zip(
                    encode_live(batch.created_at, tx), truth, strict=True
                ):
                    labels.writerow((record.transaction_id, fraud, scenario))
                    yield record

        stats = _publish(args, publisher, live_records(), args.rate, total)
    print(f"labels of every published transaction appended to {args.labels_out}")
    return _finish(args, stats)


def _replay(args: argparse.Namespace) -> int:
    from producer.files import read_transactions

    frame = read_transactions(args.file)
    if args.count is not None:
        frame = frame.iloc[: args.count]
    publisher = _connect(args)
    stats = _publish(args, publisher, encode_frame(frame), args.rate, len(frame))
    return _finish(args, stats)


def _local_kinesis(args: argparse.Namespace) -> int:
    pid_file = args.data_dir / "kinesalite.pid"
    running = _read_pid_file(pid_file)
    if args.action == "start":
        if running:
            url = local_kinesis.endpoint_url(running[1])
            print(f"local Kinesis already running (pid {running[0]}) at {url}")
            return 0
        server = local_kinesis.LocalKinesis(port=args.port, data_dir=args.data_dir)
        url = server.start()
        pid_file.write_text(f"{server.process.pid} {args.port}\n")
        print(f"local Kinesis running (pid {server.process.pid}) at {url}, data in {args.data_dir}")
        return 0
    if args.action == "stop":
        if not running:
            print("local Kinesis is not running")
            return 0
        local_kinesis.stop_pid(running[0])
        pid_file.unlink(missing_ok=True)
        print(f"local Kinesis stopped (pid {running[0]})")
        return 0
    if running:
        print(
            f"local Kinesis running (pid {running[0]}) at {local_kinesis.endpoint_url(running[1])}"
        )
        return 0
    print("local Kinesis is not running")
    return 3


# -- helpers ----------------------------------------------------------------------------------


def _read_pid_file(pid_file: Path) -> tuple[int, int] | None:
    """(pid, port) of a running server started by `local-kinesis start`, else None."""
    try:
        pid_text, port_text = pid_file.read_text().split()
        pid = int(pid_text)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    if local_kinesis.LAUNCHER.name.encode() not in cmdline:
        return None  # the pid was reused by another process
    return pid, int(port_text)


def _connect(args: argparse.Namespace) -> Publisher:
    from producer.kinesis import ensure_stream, is_loopback, make_client

    client = make_client(args.endpoint_url, args.region, args.profile)
    local = is_loopback(args.endpoint_url)
    ensure_stream(client, args.stream, shards=args.shards, create=local or args.create_stream)
    publisher = Publisher(
        client,
        args.stream,
        max_batch_bytes=min(args.max_batch_bytes, MAX_BYTES_PER_REQUEST),
        max_attempts=args.max_attempts,
    )
    return publisher


class _StopFlag:
    """Set by Ctrl-C or SIGTERM: the publisher sends what it holds, then stops."""

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self) -> bool:
        return self.stopping

    def handle(self, signum: int, frame: object) -> None:
        if self.stopping:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.stopping = True
        print("\nstopping: sending what is in flight (Ctrl-C again to abort)", file=sys.stderr)


def _publish(
    args, publisher: Publisher, records, rate: float | None, total: int | None
) -> PublishStats:
    stop = _StopFlag()
    previous = {sig: signal.signal(sig, stop.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    show = sys.stderr.isatty() if args.progress is None else args.progress
    progress = (
        _Progress(total, args.duration if hasattr(args, "duration") else None) if show else None
    )
    try:
        stats = publisher.publish(
            records,
            rate=rate,
            should_stop=stop,
            on_progress=progress.update if progress else lambda stats: None,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if progress:
            progress.close()
    return stats


def _finish(args: argparse.Namespace, stats: PublishStats) -> int:
    print(
        f"sent {stats.sent:,} records to {args.stream} in {stats.seconds:.1f} s "
        f"({stats.records_per_second:,.0f} records/s, {stats.requests:,} requests); "
        f"retried {stats.retried:,}; failed {stats.failed:,}"
    )
    if not stats.given_up:
        return 0
    args.failed_out.parent.mkdir(parents=True, exist_ok=True)
    with args.failed_out.open("a") as out:
        for given_up in stats.given_up:
            out.write(
                json.dumps(
                    {
                        "partition_key": given_up.record.partition_key,
                        "data": given_up.record.data.decode(),
                        "error_code": given_up.error_code,
                        "error_message": given_up.error_message,
                        "attempts": given_up.attempts,
                    }
                )
                + "\n"
            )
    print(f"{stats.failed:,} records given up, written to {args.failed_out}", file=sys.stderr)
    return 1


class _Progress:
    """A one-line progress bar on stderr, redrawn at most 10 times a second."""

    def __init__(self, total: int | None, duration: float | None) -> None:
        self._total = total
        self._duration = duration
        self._started = time.monotonic()
        self._drawn = 0.0

    def update(self, stats: PublishStats) -> None:
        now = time.monotonic()
        if now - self._drawn < 0.1:
            return
        self._drawn = now
        elapsed = now - self._started
        if self._total:
            share = (stats.sent + stats.failed) / self._total
        elif self._duration:
            share = min(1.0, elapsed / self._duration)
        else:
            share = 0.0
        bar = "#" * int(share * 30)
        rate = stats.sent / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(
            f"\r[{bar:<30}] {share:4.0%} sent {stats.sent:,} retried {stats.retried:,} "
            f"failed {stats.failed:,} {rate:,.0f}/s"
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
