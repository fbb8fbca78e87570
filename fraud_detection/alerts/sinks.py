"""Where alerts go: the terminal, a JSON-lines file, an Amazon SNS topic.

Each sink has a name (its key in the warehouse's delivery marks), an endpoint (named in its
errors), the most alerts it takes in one send, and, where it keeps its own records, the mark
of the last alert it holds.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Protocol, TextIO

from common.errors import UserError
from fraud_detection.alerts.alert import Alert, Mark, iso


class Sink(Protocol):
    name: str
    endpoint: str
    batch_size: int

    def send(self, alerts: Sequence[Alert]) -> None: ...

    def last_mark(self) -> Mark | None: ...


class TerminalSink:
    name = "terminal"
    endpoint = "stdout"
    batch_size = 10_000

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    def send(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            self.out.write(alert.line() + "\n")
        self.out.flush()

    def last_mark(self) -> Mark | None:
        return None


class JsonLinesSink:
    """Appends one JSON object per alert, flushed and synced with each batch. Its last
    record is a mark: a crash after writing and before the warehouse's mark moved re-sends
    nothing to it."""

    name = "file"
    batch_size = 10_000

    def __init__(self, path: Path) -> None:
        self.path = path
        self.endpoint = str(path)

    def send(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as out:
            out.seek(0, os.SEEK_END)
            if out.tell() > 0:
                out.seek(-1, os.SEEK_END)
                if out.read(1) != b"\n":  # a line cut short by a kill: end it, skip it
                    out.write(b"\n")
            out.write(b"".join(json.dumps(asdict(a)).encode() + b"\n" for a in alerts))
            out.flush()
            os.fsync(out.fileno())

    def last_mark(self) -> Mark | None:
        """The mark of the file's last complete alert record (None: no file, no record)."""
        try:
            with self.path.open("rb") as file:
                file.seek(0, os.SEEK_END)
                tail_start = max(0, file.tell() - 65_536)
                file.seek(tail_start)
                lines = file.read().split(b"\n")
        except FileNotFoundError:
            return None
        for line in reversed(lines[1:] if tail_start else lines):
            try:
                record = json.loads(line)
                return Mark(iso(record["queued_at"]), int(record["transaction_id"]))
            except (ValueError, KeyError, TypeError):
                continue
        return None


class SnsSink:
    """Publishes each alert to an SNS topic (subject and a JSON message, batches of 10)."""

    name = "sns"
    batch_size = 10  # PublishBatch takes at most 10 entries

    def __init__(self, client, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn
        self.endpoint = f"{topic_arn} at {client.meta.endpoint_url}"

    def send(self, alerts: Sequence[Alert]) -> None:
        response = self.client.publish_batch(
            TopicArn=self.topic_arn,
            PublishBatchRequestEntries=[
                {
                    "Id": alert.transaction_id,
                    "Subject": f"Card fraud suspected: transaction {alert.transaction_id}",
                    "Message": json.dumps(asdict(alert)),
                }
                for alert in alerts
            ],
        )
        if response.get("Failed"):
            failed = response["Failed"][0]
            raise UserError(
                f"SNS refused {len(response['Failed'])} alert(s), e.g. {failed['Id']}: "
                f"{failed.get('Code')} {failed.get('Message', '')}".strip()
            )

    def last_mark(self) -> Mark | None:
        return None
