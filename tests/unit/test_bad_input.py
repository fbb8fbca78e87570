"""Bad input to the commands: one line on stderr, exit code 2, nothing sent or half written;
what is written holds customer data and is private to the user."""

from __future__ import annotations

import pytest

from fraud_detection.cli import main as detection
from producer.cli import main as producer

CLOSED = "http://127.0.0.1:9"  # nothing listens: a command that tried to send would say so


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    return err


@pytest.fixture
def files(tmp_path):
    header = (
        "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS"
    )
    made = {
        "no_amount.csv": f"{header}\n1,2024-01-01 00:00:00,1,1,,1,0\n",
        "bad_datetime.csv": f"{header}\n1,2024-01-01 00:00:00,1,1,1.00,1,0\n2,notadate,1,1,1.00,1,0\n",
        "a_file": "",
    }
    for name, text in made.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "a_folder").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["stream", "--endpoint-url", "notaurl", "--count", "1", "--labels-out", "{tmp}/l.csv"],
            "not an http(s) URL: notaurl",
        ),
        (
            [
                "stream",
                "--endpoint-url",
                "http://127.0.0.1:x",
                "--count",
                "1",
                "--labels-out",
                "{tmp}/l.csv",
            ],
            "not a valid port",
        ),
        (["generate", "--out", "{tmp}/a_file", "--days", "1"], "is a file, not a folder"),
        (
            ["stream", "--endpoint-url", CLOSED, "--count", "1", "--labels-out", "{tmp}/a_folder"],
            "is a folder, not a file",
        ),
        (
            ["generate", "--customers", "1", "--terminals", "1", "--days", "1", "--out", "{tmp}/w"],
            "this world makes no transaction",
        ),
        (
            ["replay", "{tmp}/no_amount.csv", "--endpoint-url", CLOSED],
            "row 1 has no TX_AMOUNT: nothing was sent",
        ),
        (
            ["replay", "{tmp}/bad_datetime.csv", "--endpoint-url", CLOSED],
            "row 2: TX_DATETIME 'notadate' is not a timestamp",
        ),
        (["local-kinesis", "start", "--port", "80"], "must be a port from 1024 to 65535"),
        # #24: bounds a 24 GiB machine can hold, and paths that cannot be written
        (["stream", "--rate", "inf", "--count", "1"], "must be from 0.01 to 1,000,000"),
        (["stream", "--rate", "1e-300", "--count", "1"], "must be from 0.01 to 1,000,000"),
        (["replay", "{tmp}/no_amount.csv", "--rate", "nan"], "must be from 0.01 to 1,000,000"),
        (["generate", "--customers", "99999999999", "--out", "{tmp}/w"], "from 1 to 1,000,000"),
        (["generate", "--days", "99999999", "--out", "{tmp}/w"], "must be from 1 to 3,660"),
        (
            ["generate", "--customers", "1000000", "--days", "100", "--out", "{tmp}/w"],
            "more than 40,000,000 customer-days, more than a 24 GiB machine holds",
        ),
        (
            ["generate", "--days", "2", "--out", "{tmp}/a_file/w"],
            "cannot make the --out folder",
        ),
    ],
)
def test_the_producer_refuses_bad_input_in_one_line(files, argv, message, capsys):
    assert producer([arg.replace("{tmp}", str(files)) for arg in argv]) == 2
    assert message in one_line_error(capsys)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--port", "80"], "must be a port from 1024 to 65535"),
        (["detect", "--alerts-out", "{tmp}/a_folder"], "is a folder, not a file"),
        (["alerts", "--alerts-out", "{tmp}/a_folder"], "is a folder, not a file"),
        (["demo", "--rate", "inf"], "must be from 0.01 to 1,000,000"),
        (["demo", "--days", "99999999"], "must be from 1 to 3,660"),
        (["demo", "--customers", "1000000", "--days", "100"], "more than 40,000,000 customer-days"),
        (["alerts", "--sns-topic-arn", "arn:aws:sns::123456789012:t"], "not an SNS topic ARN"),
    ],
)
def test_the_detection_commands_refuse_bad_input_in_one_line(files, argv, message, capsys):
    assert detection([arg.replace("{tmp}", str(files)) for arg in argv]) == 2
    assert message in one_line_error(capsys)


def test_an_unknown_aws_profile_is_named_in_one_line(tmp_path, monkeypatch, capsys):
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, str(tmp_path / "no_such_file"))
    argv = ["stream", "--profile", "nope", "--region", "us-east-1", "--count", "1",
            "--labels-out", str(tmp_path / "l.csv")]  # fmt: skip
    assert producer(argv) == 2
    assert "The config profile (nope) could not be found: check --profile or AWS_PROFILE" in (
        one_line_error(capsys)
    )


def test_what_generate_writes_is_private(tmp_path):
    out = tmp_path / "world"
    assert (
        producer(
            [
                "generate",
                "--customers",
                "50",
                "--terminals",
                "100",
                "--days",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.stat().st_mode & 0o777 == 0o700
    written = sorted(out.iterdir())
    assert [path.name for path in written] == [
        "cust_payment_tx_history.parquet",
        "customer_info.parquet",
    ]
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in written)


def test_an_sns_topic_lives_in_its_arns_region():
    from producer.arguments import arn_region, sns_topic_arn

    arn = sns_topic_arn("arn:aws:sns:eu-west-1:123456789012:fraud-alerts")
    assert arn_region(arn) == "eu-west-1"
    assert arn_region("arn:aws-us-gov:sns:us-gov-west-1:123456789012:a.fifo") == "us-gov-west-1"
