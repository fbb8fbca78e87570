"""The gate's rule (fraud_detection.learner.gate), which both targets apply: each case of the
decision, on a small gate week with known scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fraud_detection.learner.gate import decide, figures


@pytest.fixture
def gate() -> pd.DataFrame:
    """Two days, 4 cards a day, one fraud a day."""
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 1, 2, 3, 4],
            "tx_datetime": pd.to_datetime(["2024-03-01 10:00"] * 4 + ["2024-03-02 10:00"] * 4),
            "tx_fraud": [1, 0, 0, 0, 0, 1, 0, 0],
        }
    )


PERFECT = np.array([0.9, 0.1, 0.2, 0.3, 0.1, 0.9, 0.2, 0.3])
WORST = 1 - PERFECT


def test_the_figures_are_average_precision_and_card_precision_at_100(gate):
    perfect = figures(gate, PERFECT)
    assert perfect.average_precision == 1.0
    # 4 cards a day among the top 100 (all of them), one compromised: 1/100 a day.
    assert perfect.card_precision_at_100 == 0.01
    assert figures(gate, WORST).average_precision == pytest.approx(0.25, abs=1e-4)


def test_no_gate_and_a_first_version_serve(gate):
    assert decide(None, None, None, 0.02).serve
    first = decide(gate, PERFECT, None, 0.02)
    assert first.serve and first.reason == "the first version: none serves yet"
    assert first.challenger.average_precision == 1.0 and first.serving is None
    assert first.gate_start == "2024-03-01 00:00:00" and first.gate_frauds == 2


def test_a_worse_version_is_refused_and_a_tie_or_better_serves(gate):
    serving = (3, "2024-02-20 00:00:00", PERFECT)
    refused = decide(gate, WORST, serving, 0.02)
    assert not refused.serve and refused.serving_version == 3
    assert refused.reason.startswith("worse than v3 on the gate week: AP 0.2500 < 1.0000 - 0.02")
    tie = decide(gate, PERFECT, serving, 0.0)
    assert tie.serve and tie.reason.startswith("not worse than v3 on the gate week beyond 0.0")
    better = decide(gate, PERFECT, (3, "2024-02-20 00:00:00", WORST), 0.02)
    assert better.serve and better.serving.average_precision < better.challenger.average_precision


def test_the_tolerance_is_the_margin_allowed(gate):
    slightly_worse = PERFECT.copy()
    slightly_worse[2] = 0.95  # a genuine transaction ranked above both frauds: AP 2/3
    serving = (3, "2024-02-20 00:00:00", PERFECT)
    assert not decide(gate, slightly_worse, serving, 0.3).serve
    assert decide(gate, slightly_worse, serving, 0.34).serve


def test_a_serving_version_trained_on_the_gate_week_is_no_fair_measure(gate):
    trained_on_it = decide(gate, WORST, (3, "2024-03-01 12:00:00", PERFECT), 0.02)
    assert trained_on_it.serve and "v3 trained on the gate week" in trained_on_it.reason


def test_a_gate_week_without_both_classes_keeps_the_serving_version(gate):
    genuine = gate.assign(tx_fraud=0)
    kept = decide(genuine, PERFECT, (3, "2024-02-20 00:00:00", PERFECT), 0.02)
    assert not kept.serve and "holds 0 frauds in 8 transactions" in kept.reason
