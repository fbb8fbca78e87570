"""tune: the XGBoost settings, chosen the Handbook's way (chapter 5, "Model selection").

A small, bounded grid, within the ranges Redshift ML's CREATE MODEL page gives for AUTO OFF
XGBoost (MAX_DEPTH 0-10, ETA 0.1-0.5, NUM_ROUND; SUBSAMPLE 0.5-1, COLSAMPLE_BYTREE 0.5-1,
MIN_CHILD_WEIGHT 0-120 and LAMBDA 0-1000 kept at the project's values), each setting scored by
prequential validation on the default world: 7 training days, 7 days of label delay, 7 days
of assessment, 4 folds, the first trained from 2018-07-11 and each next one a week earlier.
These are the Handbook's validation folds: they end before any of its test folds begins
(bench model_protocol, tested from 2018-08-29 back to 08-08), so no test week chooses a
setting. Each fold trains on the rows the project would (every fraud, and the genuine rows
of the MD5 rule within the default MAX_CELLS: ml_model_training_sample), fitted with the local
learner's XGBoost and measured with the Handbook's measures (fraud_detection.learner.protocol).

The chosen setting is the grid's with the highest mean average precision over the folds
(card precision@100 breaks ties); the current default is measured alike, beside it. Figures:
every setting's mean AUC ROC, AP and CP@100, the chosen one, and where to set it
(model_xgboost_hyperparameters in dbt_project.yml: the AUTO OFF default of both targets, and
the local learner's XGBoost). Rerun: python -m bench tune.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd

from bench import results
from bench.world import budget_rate, default_world, md5_sample
from fraud_detection.defaults import MODEL_INPUTS, MODEL_XGBOOST_HYPERPARAMETERS
from fraud_detection.learner import protocol
from fraud_detection.learner.training import make_learner

FOLDS = 4
SPLITS = [
    protocol.Split(pd.Timestamp("2018-07-11") - pd.Timedelta(days=7 * fold))
    for fold in range(FOLDS)
]
GRID = {"max_depth": (3, 6, 9), "num_round": (100, 200), "eta": (0.1, 0.3)}


def within_budget(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows the project trains on within the default MAX_CELLS (seed 0)."""
    return md5_sample(rows, budget_rate(rows, len(MODEL_INPUTS) + 1))


def main() -> None:
    with default_world("tune") as dbt:
        frame = pd.DataFrame(
            dbt.query(f"""
                select transaction_id, customer_id, tx_datetime, tx_fraud,
                    {", ".join(MODEL_INPUTS)}
                from int_training_features
                where tx_datetime >= '{SPLITS[-1].training_start}'
                    and tx_datetime < '{SPLITS[0].test_end}'
                order by transaction_id
            """),
            columns=["transaction_id", "customer_id", "tx_datetime", "tx_fraud", *MODEL_INPUTS],
        )
    folds = [
        (within_budget(protocol.training_set(frame, split)), protocol.test_set(frame, split))
        for split in SPLITS
    ]
    started = time.perf_counter()
    candidates = [
        {**MODEL_XGBOOST_HYPERPARAMETERS, **dict(zip(GRID, values, strict=True))}
        for values in itertools.product(*GRID.values())
    ]
    if MODEL_XGBOOST_HYPERPARAMETERS not in candidates:  # the default, measured alike
        candidates.append(dict(MODEL_XGBOOST_HYPERPARAMETERS))
    settings = []
    for tried in candidates:
        measured = []
        for training, test in folds:
            learner = make_learner("xgboost", 0, tried)
            learner.fit(training[list(MODEL_INPUTS)].to_numpy(np.float64), training["tx_fraud"])
            scores = learner.predict_proba(test[list(MODEL_INPUTS)].to_numpy(np.float64))[:, 1]
            measured.append(protocol.measures(test, scores))
        means = {k: round(float(np.mean([m[k] for m in measured])), 4) for k in measured[0]}
        settings.append({"hyperparameters": tried, **means})
    # Chosen within the grid: the default may lie outside Redshift ML's ranges.
    chosen = max(
        (s for s in settings if all(s["hyperparameters"][k] in GRID[k] for k in GRID)),
        key=lambda s: (s["average_precision"], s["card_precision_at_100"]),
    )
    current = next(s for s in settings if s["hyperparameters"] == MODEL_XGBOOST_HYPERPARAMETERS)
    results.write(
        "tune",
        {
            "validation_folds": [
                {
                    "training_days": protocol.period_days(split.training_start, split.training_end),
                    "assessment_days": protocol.period_days(split.test_start, split.test_end),
                }
                for split in SPLITS
            ],
            "grid": {k: list(v) for k, v in GRID.items()},
            "settings": settings,
            "chosen": chosen,
            "current_default": current,
            "chosen_is_the_default": chosen["hyperparameters"] == MODEL_XGBOOST_HYPERPARAMETERS,
            "apply": "dbt_project.yml, var model_xgboost_hyperparameters",
            "search_seconds": round(time.perf_counter() - started, 1),
        },
        {},
    )


if __name__ == "__main__":
    main()
