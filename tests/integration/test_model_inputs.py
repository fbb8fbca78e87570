"""The model's inputs are one list (dbt_project.yml's var fraud_model): dbt's compiled model,
predictions and analyses, and the Python learner and plugin all read the same names in the same
order; so does the second model (var fraud_model_plus), whose inputs are the 15 and its extra
ones."""

from __future__ import annotations

import json
import re

from fraud_detection.defaults import (
    FUNCTION_NAME,
    MODEL_INPUTS,
    MODEL_NAME,
    PLUS_FUNCTION_NAME,
    PLUS_MODEL_INPUTS,
    PLUS_MODEL_NAME,
)
from fraud_detection.learner.training import TrainingOptions
from fraud_detection.testing.dbt import LocalDbt


def calls(sql: str, function: str) -> list[list[str]]:
    """The argument lists of every call of ``function`` in ``sql`` (qualifiers dropped)."""
    return [
        [argument.strip().split(".")[-1] for argument in arguments.split(",")]
        for arguments in re.findall(rf"\b{function}\(([^()]*)\)", sql)
    ]


def test_model_predictions_analyses_and_learner_read_the_same_inputs(tmp_path):
    dbt = LocalDbt(tmp_path, "http://127.0.0.1:9", "unused", artifacts=True)
    # Every node, the opt-in second model too (a plain compile leaves it out).
    compiled = dbt.run("compile", "-s", "fqn:*", vars="offline_compile: true")
    assert compiled.returncode == 0, compiled.output[-3000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    nodes = {node["name"]: node for node in manifest["nodes"].values()}

    for name, function, inputs in (
        (MODEL_NAME, FUNCTION_NAME, MODEL_INPUTS),
        (PLUS_MODEL_NAME, PLUS_FUNCTION_NAME, PLUS_MODEL_INPUTS),
    ):
        model = nodes[name]
        assert model["config"]["meta"]["features"] == list(inputs)
        assert model["config"]["meta"]["function"] == function
        selected = re.search(r"select\s+(.*?)\s+from", model["compiled_code"], re.DOTALL)[1]
        assert [c.strip() for c in selected.split(",")] == [
            "transaction_id",
            "customer_id",  # for the gate's card precision, never an input
            "tx_datetime",
            *inputs,
            "tx_fraud",
        ]
    predictions = nodes["cust_payment_tx_fraud_predictions"]["compiled_code"]
    assert calls(predictions, FUNCTION_NAME) == [list(MODEL_INPUTS)]
    assert calls(predictions, FUNCTION_NAME + "_probabilities") == [list(MODEL_INPUTS)]
    analysis = nodes["model_test_period_confusion"]["compiled_code"]
    assert calls(analysis, FUNCTION_NAME) == [list(MODEL_INPUTS)]
    assert TrainingOptions().features == MODEL_INPUTS
