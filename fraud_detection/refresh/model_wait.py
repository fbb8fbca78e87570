"""Waiting for a Redshift ML training, in Python: Redshift has no sleep function, so the
ml_model materialization never waits (macros/materializations/ml_model/redshift.sql).

Each step runs the model (`dbt run -s <model>`), which moves a version in training on:
ready -> it serves, failed -> recorded with Redshift's reason. Between steps this pauses in
Python. Once no version is training, the model's children are built, so the predictions call
the serving version and the one it replaced is dropped. Bounded by the model's MAX_RUNTIME
(after which Redshift ML itself stops training) plus a margin.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from common.errors import UserError
from fraud_detection.dbt_session import DbtSession
from fraud_detection.defaults import MODEL_MAX_RUNTIME_SECONDS, MODEL_NAME

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
