"""Command-line building blocks shared by `python -m producer` and `python -m fraud_detection`:
a parser whose usage errors are one line, value types, and the world's flags."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from producer.world import WorldConfig


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), not the whole usage text."""

    def error(self, message: str) -> None:
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def run(
    parser: argparse.ArgumentParser,
    argv: list[str] | None,
    errors: tuple = (),
    describe: Callable[[Exception], str] = str,
) -> int:
    """Parse ``argv`` and call the chosen command's handler; its exit code. A UserError, or
    one of ``errors`` (worded by ``describe``), is one line on stderr and exit code 2; a second
    Ctrl-C is 130."""
    from common.errors import UserError

    # What the commands write holds customer data (names, emails, phones, alerts): private to
    # the user, files 0600 and folders 0700.
    os.umask(0o077)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its one-line message
        return int(exit_.code or 0)
    try:
        return args.handler(args)
    except (UserError, *errors) as error:
        print(f"error: {describe(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C: what was started is already stopped
        print("interrupted", file=sys.stderr)
        return 130


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


# What a 24 GiB machine holds: the default world (5,000 customers, 183 days) makes 1.77M
# transactions, about 1.9 a customer a day, and `generate` peaks at about 160 bytes a
# transaction (441 MB in all); 40M customer-days, about 77M transactions, stay near 13 GB.
MAX_CUSTOMERS = MAX_TERMINALS = 1_000_000
MAX_DAYS = 3_660
MAX_CUSTOMER_DAYS = 40_000_000
MIN_RATE, MAX_RATE = 0.01, 1_000_000.0


def bounded(kind, low, high):
    """An argparse type: a finite ``kind`` (int or float) from ``low`` to ``high``."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}, got {text}")
        return value

    return parse


rate = bounded(float, MIN_RATE, MAX_RATE)
days = bounded(int, 1, MAX_DAYS)


def endpoint_url(text: str) -> str:
    """An http(s) URL with a host, such as http://127.0.0.1:4567."""
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text}")
    try:
        parsed.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a valid port in {text}") from None
    return text


def stream_name(text: str) -> str:
    """A Kinesis stream name: 1 to 128 letters, digits, '_', '.' or '-' (CreateStream's rule)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", text):
        raise argparse.ArgumentTypeError(
            f"not a Kinesis stream name (1 to 128 letters, digits, '_', '.' or '-'): {text!r}"
        )
    return text


def server_port(text: str) -> int:
    """A port for a server started here: 1024 to 65535 (no privileged ports)."""
    value = int(text)
    if not 1024 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1024 to 65535, got {text}")
    return value


SNS_TOPIC_ARN = re.compile(
    r"arn:aws[a-z-]*:sns:(?P<region>[a-z]{2}(-[a-z]+)+-[0-9]):[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
)


def sns_topic_arn(text: str) -> str:
    """An SNS topic ARN, arn:aws:sns:<region>:<account>:<topic>: its region is the client's."""
    if not SNS_TOPIC_ARN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"not an SNS topic ARN (arn:aws:sns:<region>:<12-digit account>:<topic>): {text}"
        )
    return text


def arn_region(arn: str) -> str:
    """The region of an ARN that sns_topic_arn accepted."""
    return SNS_TOPIC_ARN.fullmatch(arn)["region"]


def output_file(text: str) -> Path:
    """A file to write or append to: not an existing folder."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    return path


def date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


def json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not JSON: {text}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"not a JSON object: {text}")
    return value


def add_world_arguments(
    parser: argparse.ArgumentParser, start_help: str = f"default {WorldConfig().start_date}"
) -> None:
    """The world's flags; ``start_help`` says what a missing --start-date means."""
    world = parser.add_argument_group(
        "world (the same values give the same customers and terminals)"
    )
    defaults = WorldConfig()
    world.add_argument(
        "--customers",
        type=bounded(int, 1, MAX_CUSTOMERS),
        default=defaults.customers,
        help=f"1 to {MAX_CUSTOMERS:,} (default %(default)s)",
    )
    world.add_argument(
        "--terminals",
        type=bounded(int, 1, MAX_TERMINALS),
        default=defaults.terminals,
        help=f"1 to {MAX_TERMINALS:,} (default %(default)s)",
    )
    world.add_argument(
        "--radius",
        type=positive_float,
        default=defaults.radius,
        help="a customer uses the terminals closer than this (default %(default)s)",
    )
    world.add_argument(
        "--start-date",
        type=date,
        help=f"first day of the history, UTC ({start_help})",
    )
    world.add_argument("--seed", type=non_negative_int, default=defaults.seed)


def world_config(args: argparse.Namespace, start_date: dt.date | None = None) -> WorldConfig:
    """The world the flags describe; ``start_date`` stands in for a missing --start-date."""
    start = args.start_date or start_date or WorldConfig().start_date
    return WorldConfig(
        customers=args.customers,
        terminals=args.terminals,
        radius=args.radius,
        start_date=start,
        seed=args.seed,
    )


def world_arguments(config: WorldConfig) -> list[str]:
    """The flags that describe ``config`` again, for a `python -m producer` process."""
    return [
        "--customers",
        str(config.customers),
        "--terminals",
        str(config.terminals),
        "--radius",
        str(config.radius),
        "--start-date",
        config.start_date.isoformat(),
        "--seed",
        str(config.seed),
    ]
