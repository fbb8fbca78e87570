"""Redshift ML, rehearsed: the background training and the prediction functions.

create_model.py turns a valid CREATE MODEL into `select redshift_shim.create_model(...)`
(shim.sql), which registers the model in redshift_shim.ml_models with model_state
'Train Model On SageMaker In Progress' and NOTIFYs redshift_ml.

`ModelTrainer` listens for that notification and trains in a thread: the FROM query's rows
(sorted by every column, so the same data trains the same model) go to the project's local
learner (fraud_detection.learner.training.train) with a synthetic time column in that row
order and validation_gap_days=0; the artifact is saved with ModelStore under
models_dir/<schema>/<model>.

The prediction functions live in the function's schema (the model's unless FUNCTION names
one), their parameters typed as the training columns ("Function Parameter Types" in SHOW
MODEL, https://docs.aws.amazon.com/redshift/latest/dg/r_SHOW_MODEL.html): a call with a
column of another type finds no function, as PostgreSQL resolves it. CREATE MODEL creates
them at once, refusing to run ("While training is in progress, the corresponding inference
function is visible but can't be run", CREATE MODEL usage notes,
https://docs.aws.amazon.com/redshift/latest/dg/r_create_model_usage_notes.html); training replaces their bodies:
- `<fn>(...)`: AUTO ON, the label 0/1 at the trained threshold. AUTO OFF: what it returns is
  not documented; XGBoost's OBJECTIVE 'binary:logistic' outputs the probability of the
  positive class, so the rehearsal returns that probability (double precision), the less
  convenient of the two possibilities: the project must threshold it.
- `<fn>_probabilities(...)`, for AUTO ON binary classification only: SUPER
  {"probabilities": [...], "labels": [...]} sorted by probability descending
  ("Amazon Redshift ML probability metrics",
  https://docs.aws.amazon.com/redshift/latest/dg/getting-started-machine-learning.html#probability_metrics).
They score with the same code as the project's DuckDB plugin (ModelStore.load, for_serving,
predict_proba, threshold), so predictions are bit-identical for the same artifact.
On failure SVV_ML_MODEL_INFO's state becomes STATE_FAILED, a string that names no failure on
purpose: no page lists the states a failed model shows, so the project must not match one;
SHOW MODEL's 'Model State' (READY, TRAINING or FAILED: documented) says FAILED, and its
'Failure Reason' row (key name undocumented) carries the message. `fail_next` makes the next
training fail with that message: SageMaker's failures are the one fault the harness cannot
produce from the project's data.
"""

from __future__ import annotations

import json
import logging
import select
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

STATE_TRAINING = "Train Model On SageMaker In Progress"  # documented example value
STATE_READY = "Model is Ready"  # documented example value
# NOT documented (no page lists the states): deliberately not a word the project could match.
STATE_FAILED = "Model training did not complete (rehearsal: the state is undocumented)"
MIN_TRAINING_SECONDS = 2.0  # so that the in-progress state can be observed

PLPY_LOAD = """
key = {key!r}
if key not in GD:
    import sys
    for path in {paths!r}:
        if path not in sys.path:
            sys.path.insert(0, path)
    import numpy
    from fraud_detection.learner.store import ModelStore
    from fraud_detection.learner.training import for_serving
    model, info = ModelStore({folder!r}, {model!r}).load()
    GD[key] = (for_serving(model), info.threshold, numpy)
model, threshold, numpy = GD[key]
row = numpy.array([[numpy.nan if x is None else float(x) for x in args]], dtype=numpy.float64)
# Scored as a block of 16 copies of the row: for a single row BLAS takes its matrix-vector
# path, which rounds differently (last bit) from the matrix-matrix path the DuckDB plugin's
# vectors take; from 4 rows on the results are the batch's, bit for bit.
probabilities = model.predict_proba(numpy.repeat(row, 16, axis=0))[0]
"""
# The plugin's predictions(): float64 probabilities (>= threshold) -> 0/1.
PLPY_VERDICT = "return int(float(probabilities[1]) >= threshold)\n"
# AUTO OFF, XGBoost 'binary:logistic': the probability of the positive class.
PLPY_PROBABILITY = "return float(probabilities[1])\n"
# {"probabilities": [...], "labels": [...]}, both sorted by probability, descending.
PLPY_PROBABILITIES = """import json
pairs = sorted([(float(probabilities[1]), "1"), (float(probabilities[0]), "0")], key=lambda p: -p[0])
return json.dumps({"probabilities": [p for p, _ in pairs], "labels": [l for _, l in pairs]})
"""


def _readable_by_others(folder: Path) -> None:
    """o+rX on a folder tree: the PostgreSQL server runs as another account (postgres) and
    PL/Python loads the artifacts, whatever umask this process has (the project's CLIs set
    077)."""
    import os
    import stat

    for root, _dirs, files in os.walk(folder):
        os.chmod(root, os.stat(root).st_mode | stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, os.stat(path).st_mode | stat.S_IROTH)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ModelTrainer:
    """Trains registered models in background threads (see module docstring)."""

    def __init__(self, connect, models_dir: Path, python_paths: list[str]):
        self.connect = connect  # () -> psycopg2 connection (autocommit)
        self.models_dir = Path(models_dir)
        self.python_paths = python_paths  # project dir + venv site-packages, for PL/Python
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener: threading.Thread | None = None
        self.fail_next: str | None = None  # the next training fails with this message

    def start(self) -> None:
        conn = self.connect()
        conn.cursor().execute("listen redshift_ml")
        self._listener = threading.Thread(
            target=self._listen, args=(conn,), daemon=True, name="rehearsal-ml-listener"
        )
        self._listener.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in [self._listener, *self._threads]:
            if thread is not None:
                thread.join(30)

    def _listen(self, conn) -> None:
        try:
            while not self._stop.is_set():
                if select.select([conn], [], [], 0.2)[0]:
                    conn.poll()
                    while conn.notifies:
                        model_id = int(conn.notifies.pop(0).payload)
                        thread = threading.Thread(
                            target=self._train,
                            args=(model_id,),
                            daemon=True,
                            name=f"rehearsal-ml-{model_id}",
                        )
                        self._threads.append(thread)
                        thread.start()
        except Exception:
            log.exception("Redshift ML listener stopped")
        finally:
            conn.close()

    def _registered(self, cur, model_id: int) -> bool:
        cur.execute("select 1 from redshift_shim.ml_models where model_id = %s", (model_id,))
        return cur.fetchone() is not None

    def _train(self, model_id: int) -> None:
        import numpy as np
        import pandas as pd

        from fraud_detection.learner.store import ModelStore
        from fraud_detection.learner.training import TrainingOptions, train

        started = time.monotonic()
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(
                "select schema_name, model_name, from_query, target, spec, features, "
                "function_schema, function_name from redshift_shim.ml_models "
                "where model_id = %s",
                (model_id,),
            )
            row = cur.fetchone()
            if row is None:
                return
            schema, name, query, target, spec, features, fschema, fname = row
            try:
                cur.execute(query)
                frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
                for column in frame.columns:  # numeric/boolean columns as numbers
                    frame[column] = pd.to_numeric(
                        frame[column].astype("object").where(frame[column].notna(), np.nan),
                        errors="raise",
                    )
                frame = frame.sort_values(list(frame.columns), kind="mergesort").reset_index(
                    drop=True
                )
                frame["_rehearsal_row_time"] = pd.Timestamp("2000-01-01") + pd.to_timedelta(
                    np.arange(len(frame)), unit="s"
                )
                if self.fail_next is not None:
                    reason, self.fail_next = self.fail_next, None
                    raise RuntimeError(reason)
                if set(frame[target].dropna().unique()) - {0, 1}:
                    raise ValueError(
                        "rehearsal: the local learner trains 0/1 binary classification only"
                    )
                if spec["auto"]:
                    objective = {"F1": "F1", "AUC": "AUC"}.get(
                        str(spec.get("objective", "F1")).upper(), "F1"
                    )
                    model_type = {"XGBOOST": "xgboost", "LINEAR_LEARNER": "linear_learner"}.get(
                        spec.get("model_type")
                    )
                else:  # AUTO OFF: XGBoost with its HYPERPARAMETERS
                    objective, model_type = "F1", "xgboost"
                options = TrainingOptions(
                    hyperparameters=None if spec["auto"] else spec["hyperparameters"] or None,
                    features=tuple(f[0] for f in features),
                    target=target,
                    time_column="_rehearsal_row_time",
                    objective=objective,
                    model_type=model_type,
                    validation_gap_days=0,
                    seed=0,
                )
                model, info = train(frame, options, name)
                if self._stop.is_set() or not self._registered(cur, model_id):
                    return  # DROP MODEL cancelled the training
                info = ModelStore(self.models_dir / schema, name).save(model, info)
                _readable_by_others(self.models_dir)  # the server (postgres) loads it
                while time.monotonic() - started < MIN_TRAINING_SECONDS:
                    if self._stop.wait(0.1):
                        return
                self._publish(conn, model_id, schema, name, fschema, fname, features, spec, info)
            except Exception as e:  # the training failed: so says the model
                log.info("model %s.%s failed: %s", schema, name, e)
                cur = conn.cursor()  # (autocommit again: _publish restores it)
                cur.execute(
                    "update redshift_shim.ml_models set state = %s, failure_reason = %s "
                    "where model_id = %s",
                    (STATE_FAILED, str(e), model_id),
                )
        except Exception:
            log.exception("Redshift ML training thread for model %s crashed", model_id)
        finally:
            conn.close()

    def _publish(self, conn, model_id, schema, name, fschema, fname, features, spec, info) -> None:
        """Give the prediction functions CREATE MODEL made their bodies and mark the model
        ready, in one transaction holding the model's row (a concurrent DROP MODEL waits,
        then drops them)."""
        from dataclasses import asdict

        folder = str(self.models_dir / schema)
        load = PLPY_LOAD.format(
            key=f"{schema}.{name}.v{info.version}",
            paths=self.python_paths,
            folder=folder,
            model=name,
        )
        args = ", ".join(column_type for _, column_type in features)
        bodies = {
            "integer": PLPY_VERDICT,
            "double precision": PLPY_PROBABILITY,
            "super": PLPY_PROBABILITIES,
        }
        conn.autocommit = False
        try:
            cur = conn.cursor()
            cur.execute(
                "select 1 from redshift_shim.ml_models where model_id = %s for update", (model_id,)
            )
            if cur.fetchone() is None:
                conn.rollback()
                return
            # The functions CREATE MODEL made, and their return types: shim.sql's
            # redshift_shim.ml_functions; each body follows its return type.
            cur.execute(
                "select * from redshift_shim.ml_functions(%s, %s)", (fname, json.dumps(spec))
            )
            for function, returns in cur.fetchall():
                cur.execute(
                    f"create or replace function {_quote(fschema)}.{_quote(function)}({args}) "
                    f"returns {returns} language plpython3u stable "
                    f"as $rehearsal${load + bodies[returns]}$rehearsal$"
                )
            training = {k: v for k, v in asdict(info).items() if k != "candidates"}
            cur.execute(
                "update redshift_shim.ml_models set state = %s, training = %s where model_id = %s",
                (STATE_READY, json.dumps(training), model_id),
            )
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.autocommit = True
