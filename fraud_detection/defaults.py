"""One place for each default of what runs beside the warehouse.

- The fraud model's name, prediction function and inputs come from dbt_project.yml (var
  ``fraud_model``), which the dbt models and analyses read too; so do the second model's
  (var ``fraud_model_plus``: the 15 inputs, then its extra inputs).
- The feature windows and the label delay come from dbt_project.yml too (vars
  ``feature_windows`` and ``label_delay_days``), which the feature macros read.
- The stream name and the project and `.local/` folders come from the producer, the lower
  layer (producer.kinesis, common.paths).
- The local paths are the profile's defaults (profiles.example.yml restates them as
  ``env_var`` defaults, relative to the project folder: a test checks that the two agree).
"""

from __future__ import annotations

import yaml  # dbt depends on PyYAML

from common.paths import LOCAL_DIR, PROJECT_DIR
from producer.kinesis import DEFAULT_FEEDBACK_STREAM, DEFAULT_STREAM

_VARS = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
_FRAUD_MODEL = _VARS["fraud_model"]
_FRAUD_MODEL_PLUS = _VARS["fraud_model_plus"]

STREAM_NAME = DEFAULT_STREAM
FEEDBACK_STREAM_NAME = DEFAULT_FEEDBACK_STREAM
MODEL_NAME: str = _FRAUD_MODEL["name"]
FUNCTION_NAME: str = _FRAUD_MODEL["function"]
MODEL_INPUTS: tuple[str, ...] = tuple(_FRAUD_MODEL["inputs"])
PLUS_MODEL_NAME: str = _FRAUD_MODEL_PLUS["name"]
PLUS_FUNCTION_NAME: str = _FRAUD_MODEL_PLUS["function"]
PLUS_EXTRA_INPUTS: tuple[str, ...] = tuple(_FRAUD_MODEL_PLUS["extra_inputs"])
PLUS_MODEL_INPUTS: tuple[str, ...] = MODEL_INPUTS + PLUS_EXTRA_INPUTS
# Each model's prediction function and inputs, by model name (the plugin serves them all).
MODEL_FUNCTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    MODEL_NAME: (FUNCTION_NAME, MODEL_INPUTS),
    PLUS_MODEL_NAME: (PLUS_FUNCTION_NAME, PLUS_MODEL_INPUTS),
}
MODEL_MAX_RUNTIME_SECONDS: int = _VARS["model_max_runtime"]  # Redshift ML's MAX_RUNTIME
# XGBoost's settings under Redshift ML's HYPERPARAMETERS names (chosen by bench/tune.py).
MODEL_XGBOOST_HYPERPARAMETERS: dict[str, float] = dict(_VARS["model_xgboost_hyperparameters"])
FEATURE_WINDOWS: tuple[int, ...] = tuple(_VARS["feature_windows"])  # days, shortest first
LABEL_DELAY_DAYS: int = _VARS["label_delay_days"]  # days until a transaction's label is known

DUCKDB_PATH = LOCAL_DIR / "fraud_detection.duckdb"  # env FRAUD_DUCKDB_PATH overrides
MODELS_DIR = LOCAL_DIR / "models"  # env FRAUD_MODELS_DIR overrides

__all__ = [
    "DUCKDB_PATH",
    "FEATURE_WINDOWS",
    "FEEDBACK_STREAM_NAME",
    "FUNCTION_NAME",
    "LABEL_DELAY_DAYS",
    "LOCAL_DIR",
    "MODELS_DIR",
    "MODEL_FUNCTIONS",
    "MODEL_INPUTS",
    "MODEL_MAX_RUNTIME_SECONDS",
    "MODEL_NAME",
    "MODEL_XGBOOST_HYPERPARAMETERS",
    "PLUS_EXTRA_INPUTS",
    "PLUS_FUNCTION_NAME",
    "PLUS_MODEL_INPUTS",
    "PLUS_MODEL_NAME",
    "PROJECT_DIR",
    "STREAM_NAME",
]
