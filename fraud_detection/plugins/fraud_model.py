"""dbt-duckdb plugin: the local counterpart of Redshift ML's functions.

The contract with the ml_model materialization (macros/materializations/ml_model/duckdb.sql)
is this module's names, a test checks the Jinja against them:
- for each model, ``<function>(<inputs>)`` returns 0/1 and ``<function>_probabilities(<inputs>)``
  what Redshift ML's probability function returns (as there, on the scale of the rows it
  trained on: fraud_probability corrects it for a sample of the genuine rows): the
  probabilities of the labels '1' and '0' with the labels, highest first (a STRUCT of two
  lists, for Redshift's SUPER), from the current artifact of the model
  (fraud_detection.learner.store); the models, functions and inputs are dbt_project.yml's
  vars ``fraud_model`` and ``fraud_model_plus``
  (fraud_detection.defaults.MODEL_FUNCTIONS), each model's artifacts its own;
  a row with any input NULL (or NaN) gets NULL from both, as SQL functions answer NULL input:
  no verdict, so no alert (fraud_alerts keeps ``fraud_prediction = 1``), instead of the one
  the learner would give by reading NULL as "missing";
- ``fraud_model_train(model_name, training_table, options_json, fingerprint, gate_table,
  gate_tolerance)`` trains that model on a committed table; ``options_json`` holds fields of
  TrainingOptions. With a ``gate_table`` (the gate week's rows; '' for none) the new version
  serves only if the gate lets it (fraud_detection.learner.gate), else it is kept unserved.
  The result is the new version's ModelInfo as JSON, its ``gate`` the decision;
- ``fraud_model_info(model_name)`` is the current ModelInfo as JSON, or null.

It also creates the folders the profile names (the DuckDB file's and the models'), so a first
dbt command on a fresh clone finds them.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from fraud_detection.defaults import MODEL_FUNCTIONS, MODELS_DIR
from fraud_detection.learner.gate import decide
from fraud_detection.learner.store import ModelInfo, ModelStore
from fraud_detection.learner.training import TrainingOptions, for_serving, prior_corrected, train
from fraud_detection.plugins import register

TRAIN_FUNCTION = "fraud_model_train"
INFO_FUNCTION = "fraud_model_info"
PROBABILITY_SUFFIX = "_probabilities"
PROBABILITIES = "STRUCT(probabilities DOUBLE[], labels VARCHAR[])"
OPTION_FIELDS = tuple(field.name for field in fields(TrainingOptions))
INFO_FIELDS = tuple(field.name for field in fields(ModelInfo))


def _with_input_parameters(method, inputs: tuple[str, ...]):
    """DuckDB counts a UDF's parameters: give a ``*columns`` method the model's named inputs."""

    def call(*columns: pa.Array) -> pa.Array:
        return method(*columns)

    call.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY) for name in inputs]
    )
    return call


_THREADPOOLS = None


def _single_threaded():
    """A context in which native thread pools (OpenMP, BLAS) use one thread."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        from threadpoolctl import ThreadpoolController

        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS.limit(limits=1)


class FraudModelFunctions:
    """The SQL-facing side of a locally trained model: train, describe, predict."""

    def __init__(self, models_dir: Path, model_name: str):
        self.store = ModelStore(models_dir, model_name)
        self._loaded: tuple[int, object, ModelInfo] | None = None
        self.connection: DuckDBPyConnection | None = None

    def _model(self) -> tuple[object, ModelInfo]:
        version = self.store.current_version()
        if self._loaded is None or self._loaded[0] != version:
            model, info = self.store.load()
            self._loaded = (info.version, for_serving(model), info)
        return self._loaded[1], self._loaded[2]

    def probabilities(self, *columns: pa.Array) -> pa.Array:
        """The probability of fraud per row, NULL where an input is NULL or NaN."""
        model, _ = self._model()
        features = np.column_stack(
            [column.to_numpy(zero_copy_only=False).astype(np.float64) for column in columns]
        )
        known = ~np.isnan(features).any(axis=1)
        fraud = np.full(len(features), np.nan)
        # DuckDB already calls this from each of its threads, one vector at a time: a single
        # OpenMP thread per call. Letting the model start its own team as well oversubscribes
        # the cores, and OpenMP's spin-waiting then made a 1,000-row call take seconds.
        if known.any():
            with _single_threaded():
                scored = features if known.all() else features[known]
                fraud[known] = model.predict_proba(scored)[:, 1]
        return pa.array(fraud, pa.float64(), mask=~known)

    def probability_metrics(self, *columns: pa.Array) -> pa.Array:
        """Per row {probabilities: [p, 1 - p], labels: ['1', '0']}, sorted highest first;
        NULL where an input is NULL."""
        result = self.probabilities(*columns)
        fraud = result.to_numpy(zero_copy_only=False)
        fraud_first = fraud >= 0.5
        high = np.where(fraud_first, fraud, 1.0 - fraud)
        offsets = pa.array(np.arange(0, 2 * len(fraud) + 1, 2, dtype=np.int32))
        values = np.column_stack([high, 1.0 - high]).ravel()
        labels = np.where(
            np.repeat(fraud_first, 2),
            np.tile(["1", "0"], len(fraud)),
            np.tile(["0", "1"], len(fraud)),
        )
        return pa.StructArray.from_arrays(
            [
                pa.ListArray.from_arrays(offsets, pa.array(values, pa.float64())),
                pa.ListArray.from_arrays(offsets, pa.array(labels, pa.string())),
            ],
            names=["probabilities", "labels"],
            mask=result.is_null(),
        )

    def predictions(self, *columns: pa.Array) -> pa.Array:
        """1 where the probability, corrected for the genuine rows' sample (the model's
        threshold is on that scale), reaches the model's threshold, else 0; NULL where an
        input is NULL."""
        _, info = self._model()
        result = self.probabilities(*columns)
        fraud = prior_corrected(result.to_numpy(zero_copy_only=False), info.genuine_sample_rate)
        unknown = result.is_null().to_numpy(zero_copy_only=False)
        return pa.array((fraud >= info.threshold).astype(np.int32), pa.int32(), mask=unknown)

    def train(
        self,
        training_table: str,
        options_json: str,
        fingerprint: str,
        gate_table: str = "",
        gate_tolerance: str = "0",
    ) -> str:
        cursor = self.connection.cursor()  # sees committed tables only: the caller commits first
        # A fixed row order: the same data then trains the same model (DuckDB's CREATE TABLE AS
        # keeps no order, and the learners bin and split on a sample of rows).
        frame = cursor.execute(f"select * from {training_table} order by all").df()
        options = json.loads(options_json)  # its arrays are the tuple options (features, learners)
        options = TrainingOptions(
            **{
                key: tuple(value) if isinstance(value, list) else value
                for key, value in options.items()
            }
        )
        model, info = train(frame, options, self.store.model_name)
        info.fingerprint = fingerprint
        gate = None
        if gate_table:
            gate = cursor.execute(f"select * from {gate_table} order by all").df()
        decision = self._gate(model, gate, options, float(gate_tolerance))
        info.gate = decision.as_dict()
        return json.dumps(asdict(self.store.save(model, info, serve=decision.serve)))

    def _gate(self, challenger, gate, options: TrainingOptions, tolerance: float):
        """The gate's decision on the challenger against the serving version, if any."""
        if gate is None:
            return decide(None, None, None, tolerance)

        def scores(model) -> np.ndarray:
            features = gate[list(options.features)].to_numpy(dtype=np.float64)
            return model.predict_proba(features)[:, 1] if len(gate) else np.array([])

        serving = None
        if self.store.current_version() is not None:
            champion, champion_info = self.store.load()
            serving = (champion_info.version, champion_info.training_end, scores(champion))
        return decide(gate, scores(challenger), serving, tolerance)

    def info(self) -> str | None:
        info = self.store.info()
        return None if info is None else json.dumps(asdict(info))


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self._models_dir = Path(plugin_config.get("models_dir", MODELS_DIR))
        self._connection: DuckDBPyConnection | None = None
        self._models = {
            name: FraudModelFunctions(self._models_dir, name) for name in MODEL_FUNCTIONS
        }

    def _named(self, model_name: str) -> FraudModelFunctions:
        """The model of that name (one the materialization names, even if it has no SQL
        functions here, keeps its own artifacts)."""
        if model_name not in self._models:
            self._models[model_name] = FraudModelFunctions(self._models_dir, model_name)
            self._models[model_name].connection = self._connection
        return self._models[model_name]

    def _train(
        self,
        model_name: str,
        training_table: str,
        options_json: str,
        fingerprint: str,
        gate_table: str,
        gate_tolerance: str,
    ):
        return self._named(model_name).train(
            training_table, options_json, fingerprint, gate_table, gate_tolerance
        )

    def _info(self, model_name: str) -> str | None:
        return self._named(model_name).info()

    def update_connection_config(self, creds, config: dict) -> None:
        """Before dbt-duckdb opens the file: the folders the profile names exist, private
        (0700: they hold customer data; the plugin private_files made the umask 077)."""
        for folder in (Path(creds.path).parent, self._models_dir):
            if str(folder) and not folder.exists():
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        self._connection = conn
        functions = [
            (TRAIN_FUNCTION, self._train, ["VARCHAR"] * 6, "VARCHAR", {}),
            (INFO_FUNCTION, self._info, ["VARCHAR"], "VARCHAR", {}),
        ]
        for model_name, (function, inputs) in MODEL_FUNCTIONS.items():
            model = self._named(model_name)
            model.connection = conn
            parameters = ["DOUBLE"] * len(inputs)
            functions += [
                (
                    function,
                    _with_input_parameters(model.predictions, inputs),
                    parameters,
                    "INTEGER",
                    {"type": "arrow"},
                ),
                (
                    f"{function}{PROBABILITY_SUFFIX}",
                    _with_input_parameters(model.probability_metrics, inputs),
                    parameters,
                    PROBABILITIES,
                    {"type": "arrow"},
                ),
            ]
        for name, function, parameters, returns, options in functions:
            register(conn, name, function, parameters, returns, **options)
