"""Command line: ``python -m fraud_detection detect|alerts|wait-model|demo``.

``main(argv)`` returns the exit code: 0 done, 2 bad input or an unusable warehouse, stream or
endpoint (one line on stderr, no traceback), 130 interrupted twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from common.errors import UserError
from common.stopping import StopFlag, handling_signals
from producer import local_kinesis
from producer.arguments import (
    OneLineParser,
    add_world_arguments,
    days,
    json_object,
    output_file,
    positive_float,
    rate,
    run,
    server_port,
    sns_topic_arn,
    world_config,
)


def main(argv: list[str] | None = None) -> int:
    return run(_parser(), argv)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m fraud_detection", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    detect = commands.add_parser(
        "detect", help="the auto-refresh loop: refresh, score and alert every few seconds"
    )
    _add_dbt_arguments(detect)
    _add_alert_arguments(detect)
    detect.add_argument(
        "--interval",
        type=positive_float,
        default=2.0,
        help="seconds from one cycle's start to the next (default %(default)s)",
    )
    detect.add_argument(
        "--duration", type=positive_float, help="stop after this many seconds (default: Ctrl-C)"
    )
    detect.add_argument(
        "--retrain-every",
        type=positive_float,
        metavar="DAYS",
        help="local target: retrain the model each time the stream's clock moves on by DAYS,"
        " on the sliding window of the var training_days, through the gate (default: never)",
    )
    detect.add_argument(
        "--max-outage",
        type=positive_float,
        metavar="SECONDS",
        help="give up (exit 2) when Kinesis, its stream or the warehouse stays unusable this"
        " long (default: wait as long as it takes)",
    )
    detect.set_defaults(handler=_detect)

    alerts = commands.add_parser(
        "alerts", help="deliver the alerts queued since the last delivery, once"
    )
    _add_dbt_arguments(alerts)
    _add_alert_arguments(alerts)
    alerts.set_defaults(handler=_alerts)

    wait = commands.add_parser(
        "wait-model",
        help="Redshift: wait for the model's training, then switch the predictions to it",
    )
    _add_dbt_arguments(wait)
    wait.add_argument(
        "--poll-seconds",
        type=positive_float,
        default=30.0,
        help="pause between looks at the training (default %(default)s)",
    )
    wait.set_defaults(handler=_wait_model)

    demo = commands.add_parser("demo", help="the main job end to end, with a summary and report")
    add_world_arguments(demo, start_help="default: --days before today, so it ends today")
    demo.add_argument("--days", type=days, default=183, help="days of history, 1 to 3,660")
    demo.add_argument("--rate", type=rate, default=300.0, help="transactions/s")
    demo.add_argument("--duration", type=positive_float, default=60.0, help="seconds to stream")
    demo.add_argument(
        "--interval", type=positive_float, default=2.0, help="seconds between refreshes"
    )
    demo.add_argument("--out", type=Path, default=Path("reports"), help="summary and report")
    demo.add_argument("--data-dir", type=Path, default=Path("data"), help="generated world")
    demo.add_argument("--port", type=server_port, default=local_kinesis.DEFAULT_PORT)
    demo.add_argument("--kinesis-dir", type=Path, default=local_kinesis.DEFAULT_DATA_DIR)
    demo.set_defaults(handler=_demo)
    return parser


def _add_dbt_arguments(parser: argparse.ArgumentParser) -> None:
    dbt = parser.add_argument_group("dbt")
    dbt.add_argument("--target", help="dbt target (default: the profile's, local)")
    dbt.add_argument("--vars", type=json_object, default={}, help="dbt vars, as JSON")


def _add_alert_arguments(parser: argparse.ArgumentParser) -> None:
    sinks = parser.add_argument_group("alert sinks (the terminal is always one)")
    sinks.add_argument(
        "--alerts-out", type=output_file, help="append alerts to this JSON-lines file"
    )
    sinks.add_argument(
        "--sns-topic-arn",
        type=sns_topic_arn,
        default=os.environ.get("FRAUD_ALERTS_SNS_TOPIC_ARN"),
        help="publish alerts to this SNS topic (default: $FRAUD_ALERTS_SNS_TOPIC_ARN)",
    )
    sinks.add_argument("--region", help="AWS region of the SNS topic (default: the ARN's)")
    sinks.add_argument("--profile", help="AWS named profile")


# -- commands ---------------------------------------------------------------------------------


def _delivery(args: argparse.Namespace, dbt):
    """Alerts for each sink the arguments name; the marks are kept in the warehouse."""
    from fraud_detection.alerts.delivery import build_delivery

    return build_delivery(dbt, args.alerts_out, args.sns_topic_arn, args.region, args.profile)


def _dbt_session(args: argparse.Namespace):
    from fraud_detection.dbt_session import DbtSession

    return DbtSession(target=args.target, vars=args.vars)


def _detect(args: argparse.Namespace) -> int:
    from fraud_detection.refresh.loop import run_loop

    if args.retrain_every is not None and not args.vars.get("training_days"):
        raise UserError(
            "--retrain-every needs the var training_days, the sliding window to retrain on:"
            " e.g. --vars '{\"training_days\": 28}'"
        )
    dbt = _dbt_session(args)
    dbt.runner()  # parse the project first: --duration counts refresh time only
    retraining = _retraining(args, dbt)
    delivery = _delivery(args, dbt)
    deadline = None if args.duration is None else time.monotonic() + args.duration
    stop = StopFlag("stopping: finishing the cycle (Ctrl-C again to abort)")
    with handling_signals(stop):
        stats = run_loop(
            dbt,
            delivery,
            args.interval,
            lambda: stop() or (deadline is not None and time.monotonic() >= deadline),
            retraining=retraining,
            max_outage=args.max_outage,
        )
    print(stats.summary(), file=sys.stderr)
    return 0


def _retraining(args: argparse.Namespace, dbt):
    """The schedule of --retrain-every, on the local target (on Redshift a training runs in
    the background, and a scheduler runs the retraining and wait-model)."""
    if args.retrain_every is None:
        return None
    from fraud_detection.defaults import MODEL_NAME
    from fraud_detection.refresh.loop import Retraining

    if dbt.target_type() != "duckdb":
        raise UserError(
            "--retrain-every retrains the local model; on Redshift, schedule the retraining"
            " and wait-model as docs/deploy.md says"
        )
    return Retraining(args.retrain_every, MODEL_NAME)


def _alerts(args: argparse.Namespace) -> int:
    dbt = _dbt_session(args)
    delivery = _delivery(args, dbt)
    delivered = delivery.deliver(dbt.query)
    print(f"{len(delivered):,} alerts delivered", file=sys.stderr)
    if delivery.failures:
        raise UserError("; ".join(delivery.failures.values()))
    return 0


def _wait_model(args: argparse.Namespace) -> int:
    from fraud_detection.refresh.model_wait import wait_for_model

    serving = wait_for_model(_dbt_session(args), poll_seconds=args.poll_seconds)
    where = "the local model is current" if serving is None else f"v{serving.version} serves"
    print(f"{where}; the predictions use it", file=sys.stderr)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from fraud_detection.demo.run import DemoConfig, run_demo

    today = dt.datetime.now(dt.UTC).date()
    return run_demo(
        DemoConfig(
            world=world_config(args, start_date=today - dt.timedelta(days=args.days)),
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
