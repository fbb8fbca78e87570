"""The feature tests' pandas reference against the Handbook's own code."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraud_detection.testing.reference_features import handbook_features, reference_features
from producer.files import transactions_table
from producer.history import generate_history
from producer.world import WorldConfig, build_world

CONFIG = WorldConfig(customers=60, terminals=120, seed=11)
DAYS = 45  # past the longest window and the label delay, so every window fills


def test_the_grouped_rolling_reference_is_the_handbooks_code_value_for_value():
    history = transactions_table(generate_history(build_world(CONFIG), DAYS), CONFIG.start)
    history = history.to_pandas()
    # Same-second transactions of one customer and one terminal, in both id orders: the
    # windows count them in id order, a later one never in an earlier one's.
    ties = history.sample(40, random_state=1).assign(
        TRANSACTION_ID=lambda t: t.TRANSACTION_ID + 1_000_000
    )
    ties.loc[ties.index[::2], "TRANSACTION_ID"] *= -1
    history = pd.concat([history, ties]).sample(frac=1, random_state=2)
    assert history.TX_FRAUD.sum() > 0

    expected = handbook_features(history)
    actual = reference_features(history)

    assert list(actual.columns) == list(expected.columns)
    assert list(actual.index) == list(expected.index)
    for column in expected.columns:
        np.testing.assert_array_equal(
            actual[column].to_numpy(float), expected[column].to_numpy(float), err_msg=column
        )
    assert (expected.terminal_id_risk_30day_window > 0).any()  # frauds reached the windows
    assert (expected.customer_id_nb_tx_1day_window > 1).any()
