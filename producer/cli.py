"""Command line: ``python -m producer generate|stream|replay|local-kinesis``.

``main(argv)`` returns the exit code: 0 done, 1 some records were given up, 2 bad input or
an unusable stream or endpoint (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from common.errors import UserError
from common.stopping import StopFlag, handling_signals
from producer import local_kinesis
from producer.arguments import (
    MAX_CUSTOMER_DAYS,
    MAX_DAYS,
    MAX_RATE,
    MIN_RATE,
    OneLineParser,
    add_world_arguments,
    days,
    endpoint_url,
    output_file,
    positive_float,
    positive_int,
    rate,
    run,
    server_port,
    stream_name,
    world_config,
)
from producer.kinesis import DEFAULT_FEEDBACK_STREAM, DEFAULT_STREAM
from producer.outcomes import Outcomes
from producer.publish import MAX_BYTES_PER_REQUEST, Publisher, PublishStats

if TYPE_CHECKING:
    from producer.feedback import FeedbackSender

# pandas, pyarrow and boto3 take seconds to import on a small machine: the commands that
# need them import them, so `local-kinesis status` answers at once.

STREAM_LIVE = 6  # keyed_rng stream of live runs


class UsageError(UserError):
    """Bad input from the user: printed as one line, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    return run(_parser(), argv, errors=(ClientError, BotoCoreError), describe=_describe)


def _describe(error: Exception) -> str:
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach the Kinesis endpoint {error.kwargs.get('endpoint_url')}"
    return str(error)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m producer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    generate = commands.add_parser("generate", help="write a labelled history and customer_info")
    add_world_arguments(generate)
    generate.add_argument(
        "--days",
        type=days,
        default=183,
        help=f"1 to {MAX_DAYS:,}; customers x days at most {MAX_CUSTOMER_DAYS:,}, what a"
        " 24 GiB machine holds (default %(default)s)",
    )
    generate.add_argument("--out", type=Path, required=True, help="output folder")
    generate.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    generate.set_defaults(handler=_generate)

    stream = commands.add_parser("stream", help="publish live transactions")
    add_world_arguments(stream)
    _add_stream_arguments(stream)
    stream.add_argument(
        "--rate",
        type=rate,
        default=100.0,
        help=f"records per second, {MIN_RATE} to {MAX_RATE:,.0f} (default %(default)s)",
    )
    amount = stream.add_mutually_exclusive_group(required=True)
    amount.add_argument("--count", type=positive_int, help="records to send")
    amount.add_argument("--duration", type=positive_float, help="seconds to send for")
    stream.add_argument(
        "--labels-out",
        type=output_file,
        required=True,
        help="CSV of TRANSACTION_ID, TX_FRAUD, TX_FRAUD_SCENARIO (appended)",
    )
    _add_feedback_arguments(stream)
    stream.set_defaults(handler=_stream)

    replay = commands.add_parser("replay", help="publish a CSV or Parquet history in time order")
    replay.add_argument("file", type=Path)
    _add_stream_arguments(replay)
    replay.add_argument(
        "--rate",
        type=rate,
        help=f"records per second, {MIN_RATE} to {MAX_RATE:,.0f} (default: as fast as it can)",
    )
    replay.add_argument("--count", type=positive_int, help="send only the first N records")
    _add_feedback_arguments(replay)
    replay.set_defaults(handler=_replay)

    kinesis = commands.add_parser("local-kinesis", help="start, stop or check the local Kinesis")
    kinesis.add_argument("action", choices=("start", "stop", "status"))
    kinesis.add_argument("--port", type=server_port, default=local_kinesis.DEFAULT_PORT)
    kinesis.add_argument("--data-dir", type=Path, default=local_kinesis.DEFAULT_DATA_DIR)
    kinesis.set_defaults(handler=_local_kinesis)
    return parser


def _add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("stream")
    aws.add_argument(
        "--stream",
        type=stream_name,
        default=DEFAULT_STREAM,
        help="stream name (default %(default)s)",
    )
    aws.add_argument(
        "--endpoint-url", type=endpoint_url, help="e.g. http://127.0.0.1:4567 for the local stream"
    )
    aws.add_argument("--region", help="AWS region (default: from the profile or environment)")
    aws.add_argument("--profile", help="AWS named profile")
    aws.add_argument(
        "--shards",
        type=positive_int,
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
        type=positive_int,
        default=MAX_BYTES_PER_REQUEST,
        help="byte budget of one PutRecords request (default 5 MiB)",
    )
    aws.add_argument(
        "--max-attempts",
        type=positive_int,
        default=8,
        help="attempts per record before it is given up (default %(default)s)",
    )
    aws.add_argument(
        "--max-outage",
        type=positive_float,
        default=60.0,
        help="seconds to wait out an unreachable or failing endpoint (default %(default)s)",
    )
    aws.add_argument(
        "--failed-out",
        type=output_file,
        default=Path("failed_records.jsonl"),
        help="where given-up records are written (default %(default)s)",
    )
    aws.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )


def _add_feedback_arguments(parser: argparse.ArgumentParser) -> None:
    feedback = parser.add_argument_group("fraud feedback (labels, days later)")
    feedback.add_argument(
        "--feedback-delay",
        type=positive_float,
        metavar="DAYS",
        help="report each fraud to the feedback stream once the clock passes its TX_DATETIME "
        "plus DAYS (stream: wall-clock time; replay: the replayed TX_DATETIME, labels from the "
        "file's TX_FRAUD; reports not yet due when publishing ends are not sent)",
    )
    feedback.add_argument(
        "--feedback-jitter",
        action="store_true",
        help="draw each fraud's delay uniformly up to --feedback-delay (seeded per transaction)",
    )
    feedback.add_argument(
        "--feedback-seed", type=int, default=0, help="seed of --feedback-jitter (default 0)"
    )
    feedback.add_argument(
        "--feedback-stream",
        type=stream_name,
        default=DEFAULT_FEEDBACK_STREAM,
        help="the feedback stream (default %(default)s)",
    )


# -- commands ---------------------------------------------------------------------------------


def _generate(args: argparse.Namespace) -> int:
    from producer.generate import generate_files

    generated = generate_files(world_config(args), args.days, args.out, args.format)
    print(generated.summary(args.days))
    return 0


def _stream(args: argparse.Namespace) -> int:
    from producer.live import LiveSimulator, labelled_records
    from producer.world import build_world, keyed_rng

    config = world_config(args)
    now = dt.datetime.now(dt.UTC)
    if config.start > now:
        raise UsageError(f"--start-date {config.start_date} is in the future")
    publisher = _connect(args)
    simulator = LiveSimulator(
        build_world(config), keyed_rng(config.seed, STREAM_LIVE, int(now.timestamp() * 1e6)), now
    )
    deadline = None if args.duration is None else time.monotonic() + args.duration
    with Outcomes(args.failed_out, args.labels_out) as outcomes:
        chunk = publisher.paced_batch_size(args.rate)
        records = labelled_records(simulator, chunk, args.count, deadline, outcomes.truth)
        feedback = _feedback(args, outcomes)
        if feedback is not None:
            records = feedback.live(records, outcomes.truth)
        stats = _publish(args, publisher, records, args.rate, args.count, outcomes)
    print(f"labels of every accepted or given-up transaction appended to {args.labels_out}")
    return _finish(args, stats, feedback)


def _replay(args: argparse.Namespace) -> int:
    from producer.files import read_transactions
    from producer.records import encode_frame

    frame = read_transactions(args.file)
    if args.count is not None:
        frame = frame.iloc[: args.count]
    if args.feedback_delay is not None and "TX_FRAUD" not in frame.columns:
        raise UsageError(f"{args.file}: --feedback-delay needs its TX_FRAUD column")
    publisher = _connect(args)
    with Outcomes(args.failed_out) as outcomes:
        records = encode_frame(frame)
        feedback = _feedback(args, outcomes)
        if feedback is not None:
            records = feedback.replayed(records, frame)
        stats = _publish(args, publisher, records, args.rate, len(frame), outcomes)
    return _finish(args, stats, feedback)


def _local_kinesis(args: argparse.Namespace) -> int:
    if args.action == "start":
        print(local_kinesis.start_detached(args.port, args.data_dir))
    elif args.action == "stop":
        print(local_kinesis.stop_detached(args.data_dir))
    else:
        found = local_kinesis.running(args.data_dir)
        if not found:
            print("local Kinesis is not running")
            return 3
        print(f"local Kinesis running (pid {found[0]}) at {local_kinesis.endpoint_url(found[1])}")
    return 0


# -- helpers ----------------------------------------------------------------------------------


def _feedback(args: argparse.Namespace, outcomes: Outcomes) -> FeedbackSender | None:
    """The fraud reports' sender, with --feedback-delay."""
    if args.feedback_delay is None:
        return None
    from producer.feedback import FeedbackSchedule, FeedbackSender

    schedule = FeedbackSchedule(args.feedback_delay, args.feedback_jitter, args.feedback_seed)
    return FeedbackSender(_connect(args, args.feedback_stream, shards=1), schedule, outcomes)


def _connect(args: argparse.Namespace, stream: str | None = None, shards: int | None = None):
    from producer.kinesis import ensure_stream, is_loopback, make_client

    stream = stream or args.stream
    client = make_client(args.endpoint_url, args.region, args.profile)
    local = is_loopback(args.endpoint_url)
    ensure_stream(client, stream, shards=shards or args.shards, create=local or args.create_stream)
    return Publisher(
        client,
        stream,
        max_batch_bytes=min(args.max_batch_bytes, MAX_BYTES_PER_REQUEST),
        max_attempts=args.max_attempts,
        max_outage=args.max_outage,
    )


def _publish(args, publisher: Publisher, records, rate, total, outcomes: Outcomes):
    from producer.progress import Progress

    show = sys.stderr.isatty() if args.progress is None else args.progress
    progress = Progress(total, getattr(args, "duration", None)) if show else None

    def on_progress(stats: PublishStats) -> None:
        outcomes.flush()
        if progress:
            progress.update(stats)

    stop = StopFlag("stopping: sending what is in flight (Ctrl-C again to abort)")
    try:
        with handling_signals(stop):
            return publisher.publish(
                records,
                rate=rate,
                should_stop=stop,
                on_progress=on_progress,
                on_outcome=outcomes.record,
            )
    finally:
        if progress:
            progress.close()


def _finish(args: argparse.Namespace, stats: PublishStats, feedback=None) -> int:
    print(
        f"sent {stats.sent:,} records to {args.stream} in {stats.seconds:.1f} s "
        f"({stats.records_per_second:,.0f} records/s, {stats.requests:,} requests); "
        f"retried {stats.retried:,}; failed {stats.failed:,}"
    )
    failed = stats.failed
    if feedback is not None:
        print(
            f"reported {feedback.sent:,} frauds to {args.feedback_stream}; failed "
            f"{feedback.failed:,}; {len(feedback.schedule):,} not yet due when publishing ended"
        )
        failed += feedback.failed
    if not failed:
        return 0
    print(f"{failed:,} records given up, written to {args.failed_out}", file=sys.stderr)
    return 1
