"""Waiting for a Redshift ML training, in Python: Redshift has no sleep function, so the
ml_model materialization never waits (macros/materializations/ml_model/redshift.sql).

Each step runs the model (`dbt run -s <model>`), which moves a version in training on:
ready -> it serves, failed -> recorded with Redshift's reason. Between steps this pauses in
Python. Once no version is training, the model's children are built, so the predictions call
the serving version and the one it replaced is dropped. Bounded by the model's MAX_RUNTIME
(after which Redshift ML itself stops training) plus a margin.

A version trained on a sliding window (the var training_days) is held at ``gating`` once
ready: here both it and the serving version score its gate week (int_training_features'
rows there) through their Redshift ML functions, and the gate
(fraud_detection.learner.gate, the rule the local target applies) decides; the operation
record_ml_model_gate keeps the decision in dbt_ml_model_versions.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from common.errors import UserError
from fraud_detection.dbt_session import DbtSession
from fraud_detection.defaults import MODEL_INPUTS, MODEL_MAX_RUNTIME_SECONDS, MODEL_NAME
from fraud_detection.learner.gate import GateDecision, decide

MARGIN_SECONDS = 600  # exporting the data before training, and the model's compilation after


class ModelWaitError(UserError):
    """The training failed, or outlasted its bound: the message says which."""


@dataclass(frozen=True)
class ModelVersion:
    version: int
    status: str
    reason: str | None


def model_versions(dbt: DbtSession, model: str = MODEL_NAME) -> list[ModelVersion]:
    """The model's versions on Redshift (dbt_ml_model_versions), oldest first."""
    rows = dbt.query(
        "select version, status, reason from "
        f"{{{{ ref('{model}').schema }}}}.dbt_ml_model_versions "
        f"where model_name = '{model}' order by version"
    )
    return [ModelVersion(int(row["version"]), row["status"], row["reason"]) for row in rows]


def wait_for_model(
    dbt: DbtSession,
    model: str = MODEL_NAME,
    poll_seconds: float = 30.0,
    max_runtime_seconds: float = MODEL_MAX_RUNTIME_SECONDS,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
    sleep: Callable[[float], None] = time.sleep,
) -> ModelVersion | None:
    """Step the model until no version trains, then build its children; the serving version
    (None on a target without versions, such as the local one, which trains in the run)."""
    deadline = time.monotonic() + max_runtime_seconds + MARGIN_SECONDS
    versioned = dbt.target_type() == "redshift"  # asked once: a dbt show each time
    while True:
        dbt.run(["run", "-s", model])
        if not versioned:
            serving = None
            break
        versions = model_versions(dbt, model)
        gating = [v for v in versions if v.status == "gating"]
        if gating:
            apply_gate(dbt, model, gating[-1].version, log)
            continue
        training = [v for v in versions if v.status == "training"]
        if not training:
            serving = next((v for v in reversed(versions) if v.status == "serving"), None)
            if serving is None:
                raise ModelWaitError(f"no version of {model} serves: see dbt run -s {model}")
            break
        if time.monotonic() > deadline:
            raise ModelWaitError(
                f"{model} v{training[-1].version} still trains after "
                f"{max_runtime_seconds + MARGIN_SECONDS:.0f} s: check SHOW MODEL"
            )
        log(f"{model} v{training[-1].version} is training; next look in {poll_seconds:g} s")
        sleep(poll_seconds)
    dbt.run(["run", "-s", f"{model}+", "--exclude", model])
    return serving


def apply_gate(
    dbt: DbtSession, model: str, version: int, log: Callable[[str], None]
) -> GateDecision:
    """The gate's decision on a ready version against the serving one, recorded."""
    import pandas as pd

    [where] = dbt.query(f"select '{{{{ ref('{model}').schema }}}}' as schema")
    schema = where["schema"]
    versions = f"{schema}.dbt_ml_model_versions"
    rows = {
        row["status"] if row["version"] != version else "new": row
        for row in dbt.query(
            "select version, status, function_name, is_auto, training_end, gate_start, gate_end,"
            " created_at"
            f" from {versions} where model_name = '{model}'"
            f" and (version = {version} or status = 'serving')"
        )
    }
    new, serving = rows["new"], rows.get("serving")
    scores = [f"{_score(schema, new)} as challenger"]
    if serving is not None:
        scores.append(f"{_score(schema, serving)} as serving")
    gate = pd.DataFrame(
        dbt.query(
            f"select customer_id, tx_datetime, tx_fraud, {', '.join(scores)}"
            " from {{ ref('int_training_features') }}"
            f" where tx_datetime >= '{new['gate_start']}' and tx_datetime < '{new['gate_end']}'"
        )
    )
    if gate.empty:
        gate = pd.DataFrame(columns=["customer_id", "tx_datetime", "tx_fraud", "challenger"])
    gate["tx_datetime"] = pd.to_datetime(gate["tx_datetime"])
    gate["tx_fraud"] = gate["tx_fraud"].astype(int)
    [tolerance] = dbt.query("select {{ var('model_gate_tolerance') }} as tolerance")
    decision = decide(
        gate,
        gate["challenger"].astype(float).to_numpy(),
        None
        if serving is None
        else (
            int(serving["version"]),
            # The newest transaction it trained on (a version recorded before the windows
            # were kept: the time it was created, an upper bound).
            str(serving["training_end"] or serving["created_at"]),
            gate["serving"].astype(float).to_numpy(),
        ),
        float(tolerance["tolerance"]),
    )
    dbt.invoke(
        [
            "run-operation", "record_ml_model_gate",
            "--args", json.dumps({"model_name": model, "version": version,
                                  "decision": decision.as_dict()}),
        ]
    )  # fmt: skip
    log(f"{model} v{version} {'serves' if decision.serve else 'is refused'}: {decision.reason}")
    return decision


def _score(schema: str, version: dict) -> str:
    """SQL for a version's probability of fraud: its probability function's (AUTO ON), or
    what its function returns (AUTO OFF, a probability for the XGBoost objective
    binary:logistic). Its functions are in the model's schema."""
    inputs = ", ".join(MODEL_INPUTS)
    function = f"{schema}.{version['function_name']}"
    if version["is_auto"]:
        return f"{{{{ fraud_probability('{function}_probabilities({inputs})') }}}}"
    return f"cast({function}({inputs}) as double precision)"
