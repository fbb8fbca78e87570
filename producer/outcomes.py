"""What becomes of each published record, written as soon as it is known: its label once the
stream accepted it or it was given up, and given-up records to --failed-out. Both files are
flushed after every request, so a kill leaves at most the records in flight unaccounted for."""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType

from common.errors import UserError
from producer.publish import GivenUp, PublishStats, given_up_line
from producer.records import LABEL_COLUMNS, Record


class Outcomes:
    """The labels file (optional) and the failed-records file, open for appending."""

    def __init__(self, failed_out: Path, labels_out: Path | None = None) -> None:
        self.failed_out = failed_out
        self.labels_out = labels_out
        self.truth: dict[int, tuple[int, int]] = {}  # the labels of the records in flight
        self._failed = None
        self._labels_file = None
        self._labels = None

    def __enter__(self) -> Outcomes:
        """Opens the labels file, and makes --failed-out's folder, before anything is sent: a
        path that cannot be written fails now, in one line, not after records went out."""
        try:
            self.failed_out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(f"cannot write --failed-out {self.failed_out}: {_why(error)}") from None
        if self.labels_out is not None:
            try:
                self.labels_out.parent.mkdir(parents=True, exist_ok=True)
                new = not self.labels_out.exists() or self.labels_out.stat().st_size == 0
                self._labels_file = self.labels_out.open("a", newline="")
                self._labels = csv.writer(self._labels_file)
                if new:
                    self._labels.writerow(LABEL_COLUMNS)
                self._labels_file.flush()
            except OSError as error:
                raise UserError(
                    f"cannot write --labels-out {self.labels_out}: {_why(error)}"
                ) from None
        return self

    def record(self, record: Record, given_up: GivenUp | None) -> None:
        """Publisher.publish's on_outcome."""
        if given_up is not None:
            self._write_failed(given_up)
        if self._labels is not None:
            fraud, scenario = self.truth.pop(record.transaction_id)
            self._labels.writerow((record.transaction_id, fraud, scenario))

    def record_report(self, record: Record, given_up: GivenUp | None) -> None:
        """The feedback publisher's on_outcome: a given-up report goes to the failed file."""
        if given_up is not None:
            self._write_failed(given_up)

    def _write_failed(self, given_up: GivenUp) -> None:
        if self._failed is None:
            self._failed = self.failed_out.open("a")
        self._failed.write(given_up_line(given_up))

    def flush(self, stats: PublishStats | None = None) -> None:
        for file in (self._labels_file, self._failed):
            if file is not None:
                file.flush()

    def __exit__(
        self, kind: type | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for file in (self._labels_file, self._failed):
            if file is not None:
                file.close()


def _why(error: OSError) -> str:
    """Why a path cannot be written, in words (making a folder where a file is says
    'File exists')."""
    if isinstance(error, FileExistsError):
        return "a file stands where its folder should be"
    return error.strerror or str(error)
