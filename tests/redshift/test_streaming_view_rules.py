"""The rehearsal refuses a streaming view Redshift would refuse (rehearsal/streaming_view.py),
and the project's own streaming views, on Kinesis and on MSK, pass."""

from __future__ import annotations

import pytest

from tests.redshift.rehearsal.streaming_view import streaming_view_refusal
from tests.redshift.test_streaming_redshift import compile_offline

STREAM = 'custpaytxn."cust-payment-txn-stream"'
PLAIN = f"select approximate_arrival_timestamp, json_parse(kinesis_data) as payload from {STREAM}"


@pytest.mark.parametrize(
    "query, what",
    [
        (f"select s.* from {STREAM} as s join customers using (customer_id)", "a JOIN"),
        (f"select row_number() over (order by shard_id) from {STREAM}", "a window function"),
        (f"{PLAIN} order by 1", "ORDER BY"),
        (f"{PLAIN} limit 10", "LIMIT or OFFSET"),
        (f"select * from (select * from {STREAM}) as s", "a subquery"),
        (f"{PLAIN} union all {PLAIN}", "a set operation"),
        (f"select count(distinct shard_id) from {STREAM}", "a DISTINCT aggregate"),
        (f"select getdate() as seen, kinesis_data from {STREAM}", "a mutable function"),
        (f"select current_timestamp as seen from {STREAM}", "a mutable function"),
        (f"select fraud.parse_record(kinesis_data) from {STREAM}", "a user-defined function"),
    ],
)
def test_what_redshift_refuses_in_a_streaming_view_is_refused(query, what):
    assert streaming_view_refusal(query) == (
        f"a streaming ingestion materialized view may not hold {what}"
        " (it must be incrementally maintainable, without joins)"
    )


def test_comments_and_literals_are_not_read_as_sql():
    assert (
        streaming_view_refusal(f"-- join the order by\n{PLAIN} where partition_key != 'limit'")
        is None
    )


@pytest.mark.parametrize(
    "vars",
    [
        "{}",
        "{stream_source_kind: msk, msk_cluster_arn: 'arn:aws:kafka:us-east-1:123456789012:cluster/f/1'}",
    ],
)
def test_the_projects_streaming_views_hold_nothing_redshift_refuses(tmp_path, vars):
    done = compile_offline(
        tmp_path,
        "-s",
        "cust_payment_tx_stream",
        "cust_payment_fraud_feedback_stream",
        "--vars",
        vars,
    )
    assert done.returncode == 0, done.output[-3000:]
    compiled = sorted((tmp_path / "target" / "compiled").rglob("*_stream.sql"))
    assert len(compiled) == 2
    for path in compiled:
        assert streaming_view_refusal(path.read_text()) is None, path.name
