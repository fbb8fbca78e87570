"""What the refresh loop waits out, and how long it waits between tries."""

from __future__ import annotations

import random

from common.backoff import full_jitter_delay
from fraud_detection.dbt_session import DbtError, WarehouseBusyError
from fraud_detection.refresh.loop import BUSY, outage_of


def test_what_passes_is_named_and_anything_else_is_not():
    assert outage_of(WarehouseBusyError("locked")) == BUSY
    assert outage_of(DbtError("... cannot reach Kinesis at http://127.0.0.1:4567: start it")) == (
        "Kinesis cannot be reached"
    )
    assert outage_of(DbtError("Kinesis stream 'x' does not exist at http://h: start")) == (
        "the Kinesis stream does not exist"
    )
    assert outage_of(DbtError("IO Error: No space left on device")) == "the disk is full"
    assert outage_of(DbtError("Binder Error: column tx_amount not found")) is None


def test_backoff_doubles_to_its_cap_with_full_jitter():
    rng = random.Random(0)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (7, 30.0), (60, 30.0)):
        delays = [full_jitter_delay(rng.uniform, 0.5, 30.0, attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.8 * ceiling and min(delays) < 0.2 * ceiling
