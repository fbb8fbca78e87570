"""How the learner validates its candidates on a training window of any length.

- A window of at least ``min_days_for_time_split`` days: one time-ordered split, the latest
  share of the window after a gap for the label delay (the learner's scheme since the start).
- A shorter window, or one whose time-ordered parts would lack a class: stratified folds, so
  every fold holds frauds and genuine transactions (up to 5 folds, never more than the frauds).
- A single fraud: nothing to validate on; the candidates' first is trained at threshold 0.5.

The window itself must hold frauds and genuine transactions: ``check_window`` says which part
is missing, naming the window, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_FOLDS = 5


class TrainingWindowError(ValueError):
    """The training window cannot train a model: empty, or without one of the two classes."""


@dataclass(frozen=True)
class ValidationPlan:
    """``folds`` are (fit, validate) boolean masks over the window's rows; the candidates are
    compared on the validation rows of every fold together. ``scheme`` is what SHOW MODEL says."""

    scheme: str
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]


def describe_window(times: pd.Series) -> str:
    if times.empty:
        return "the training window"
    return f"the training window {times.min()} to {times.max()}"


def check_window(labels: np.ndarray, times: pd.Series) -> None:
    """Raise TrainingWindowError, one line naming the window, unless both classes are in it."""
    frauds = int(labels.sum())
    if len(labels) == 0:
        raise TrainingWindowError("the training window holds no transactions")
    if frauds == 0 or frauds == len(labels):
        missing = "fraud" if frauds == 0 else "genuine transaction"
        raise TrainingWindowError(
            f"{describe_window(times)} holds no {missing} ({len(labels)} transactions, "
            f"{frauds} frauds): a model needs both"
        )


def _time_ordered(
    times: pd.Series, labels: np.ndarray, share: float, gap_days: float
) -> tuple[np.ndarray, np.ndarray] | None:
    start, end = times.min(), times.max()
    validation_start = end - (end - start) * share
    fit_end = validation_start - pd.Timedelta(days=gap_days)
    fit, validate = (times < fit_end).to_numpy(), (times >= validation_start).to_numpy()
    both_classes = all(0 < labels[part].sum() < part.sum() for part in (fit, validate))
    return (fit, validate) if both_classes else None


def _stratified(labels: np.ndarray, folds: int, seed: int) -> tuple:
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    plan = []
    for fit_rows, validate_rows in splitter.split(np.zeros(len(labels)), labels):
        fit, validate = np.zeros(len(labels), bool), np.zeros(len(labels), bool)
        fit[fit_rows], validate[validate_rows] = True, True
        plan.append((fit, validate))
    return tuple(plan)


def plan_validation(
    times: pd.Series,
    labels: np.ndarray,
    *,
    share: float,
    gap_days: float,
    min_days_for_time_split: float,
    seed: int,
) -> ValidationPlan:
    """The validation that fits the window (see the module's docstring)."""
    check_window(labels, times)
    days = (times.max() - times.min()) / pd.Timedelta(days=1)
    if days >= min_days_for_time_split:
        split = _time_ordered(times, labels, share, gap_days)
        if split is not None:
            scheme = (
                f"time-ordered: the latest {share:.0%} of the window after a {gap_days:g}-day gap"
            )
            return ValidationPlan(scheme, (split,))
        why = "its time-ordered parts lack a class"
    else:
        why = f"under {min_days_for_time_split:g} days"
    folds = min(MAX_FOLDS, int(labels.sum()), int(len(labels) - labels.sum()))
    if folds < 2:
        return ValidationPlan("none: a single fraud, too few to validate (threshold 0.5)", ())
    scheme = f"stratified {folds}-fold: a window of {days:.1f} days, {why}"
    return ValidationPlan(scheme, _stratified(labels, folds, seed))
