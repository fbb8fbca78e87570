"""The gate between a retrained model (the challenger) and the one serving (the champion).

Both are measured on the gate week: the newest ``gate_days`` of labelled transactions, which
the challenger's training window stops before. The challenger serves only if neither its
average precision nor its card precision@100 (the Fraud Detection Handbook's daily measure)
is worse than the serving version's by more than the tolerance. Each decision says why, and
is kept with the version (its metadata) and in the warehouse (dbt_ml_model_versions).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from fraud_detection.learner.evaluation import card_precision_at_k

CARDS_PER_DAY = 100  # the Handbook's k: the cards an investigator checks a day


@dataclass(frozen=True)
class GateFigures:
    average_precision: float
    card_precision_at_100: float


@dataclass(frozen=True)
class GateDecision:
    serve: bool
    reason: str
    gate_start: str | None = None
    gate_end: str | None = None
    gate_rows: int = 0
    gate_frauds: int = 0
    challenger: GateFigures | None = None
    serving_version: int | None = None
    serving: GateFigures | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def figures(gate: pd.DataFrame, scores: np.ndarray) -> GateFigures:
    """AP and CP@100 of ``scores`` on the gate rows (customer_id, tx_datetime, tx_fraud)."""
    from sklearn.metrics import average_precision_score

    labels = gate["tx_fraud"].to_numpy()
    scored = gate[["customer_id", "tx_datetime", "tx_fraud"]].assign(score=scores)
    return GateFigures(
        average_precision=round(float(average_precision_score(labels, scores)), 4),
        card_precision_at_100=round(card_precision_at_k(scored, CARDS_PER_DAY), 4),
    )


def decide(
    gate: pd.DataFrame | None,
    challenger_scores: np.ndarray | None,
    serving: tuple[int, str, np.ndarray] | None,
    tolerance: float,
) -> GateDecision:
    """Serve the challenger or keep the serving version.

    ``gate`` is the gate week's rows (None: no gate, as without a sliding window);
    ``serving`` is the serving version's number, training end and scores on the gate rows
    (None: no version serves yet)."""
    if gate is None:
        return GateDecision(True, "no gate: the training window is not a sliding one")
    window = {
        "gate_start": str(gate["tx_datetime"].min().floor("D")) if len(gate) else None,
        "gate_end": str(gate["tx_datetime"].max()) if len(gate) else None,
        "gate_rows": len(gate),
        "gate_frauds": int(gate["tx_fraud"].sum()),
    }
    both_classes = 0 < window["gate_frauds"] < len(gate)
    if serving is None:
        new = figures(gate, challenger_scores) if both_classes else None
        return GateDecision(True, "the first version: none serves yet", challenger=new, **window)
    version, serving_training_end, serving_scores = serving
    if not both_classes:
        return GateDecision(
            False,
            f"the gate week holds {window['gate_frauds']} frauds in {len(gate)} transactions:"
            f" nothing to compare on; v{version} goes on serving",
            serving_version=version,
            **window,
        )
    new, old = figures(gate, challenger_scores), figures(gate, serving_scores)
    measured = {"challenger": new, "serving_version": version, "serving": old, **window}
    if pd.Timestamp(serving_training_end) >= pd.Timestamp(window["gate_start"]):
        return GateDecision(
            True,
            f"v{version} trained on the gate week (to {serving_training_end}): no fair"
            " comparison, the version trained on the newer window serves",
            **measured,
        )
    worse = [
        f"{name} {getattr(new, field):.4f} < {getattr(old, field):.4f} - {tolerance}"
        for name, field in (("AP", "average_precision"), ("CP@100", "card_precision_at_100"))
        if getattr(new, field) < getattr(old, field) - tolerance
    ]
    if worse:
        return GateDecision(
            False, f"worse than v{version} on the gate week: {'; '.join(worse)}", **measured
        )
    return GateDecision(
        True,
        f"not worse than v{version} on the gate week beyond {tolerance}"
        f" (AP {new.average_precision:.4f} vs {old.average_precision:.4f},"
        f" CP@100 {new.card_precision_at_100:.4f} vs {old.card_precision_at_100:.4f})",
        **measured,
    )
