"""`python -m fraud_detection`: bad arguments and damaged state are one line and exit 2."""

from __future__ import annotations

import pytest

from fraud_detection.cli import main


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    return err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["detect", "--vars", "{not json"], "not JSON"),
        (["alerts", "--vars", "[1, 2]"], "not a JSON object"),
        (["detect", "--interval", "0"], "must be a positive number"),
        (["demo", "--rate", "-5"], "must be from 0.01 to 1,000,000"),
        (["detect", "--retrain-every", "0"], "must be a positive number"),
        (["detect", "--retrain-every", "7"], "--retrain-every needs the var training_days"),
    ],
)
def test_detect_alerts_and_demo_reject_bad_arguments_in_one_line(argv, message, capsys):
    assert main(argv) == 2
    assert message in one_line_error(capsys)
