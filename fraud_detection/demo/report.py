"""The demo's summary and its report: an HTML page with PNG figures (local target).

Reads the local warehouse (DuckDB, opened read-only), the current model's artifact, the
producer's ground-truth labels of the live run and the alerts it raised:
- the monthly trend of frauds and genuine transactions in the history;
- the model on its test period (the labelled history from 7 days after its training window
  ends): precision-recall curve and confusion matrix at the model's threshold;
- live precision and recall: the stream's predictions against the labels;
- freshness: from the transaction (the producer stamps TX_DATETIME as it hands the record to
  the publisher) to the alert's delivery.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fraud_detection.defaults import MODEL_INPUTS, MODEL_NAME
from fraud_detection.learner.store import ModelStore
from fraud_detection.learner.training import prior_corrected

LABEL_DELAY_DAYS = 7


@dataclass(frozen=True)
class LiveRun:
    """What one live run left behind: its labels and its alerts."""

    labels_path: Path
    alerts_path: Path


def read_labels(path: Path) -> pd.DataFrame:
    labels = pd.read_csv(path, dtype={"TRANSACTION_ID": "int64", "TX_FRAUD": "int64"})
    return labels.rename(columns=str.lower).drop_duplicates("transaction_id")


def read_alerts(path: Path) -> pd.DataFrame:
    times = ("tx_datetime", "alerted_at", "queued_at", "approximate_arrival_timestamp")
    if not path.exists() or path.stat().st_size == 0:
        alerts = pd.DataFrame({"transaction_id": pd.Series(dtype="int64")})
        return alerts.assign(**{column: pd.Series(dtype="datetime64[us, UTC]") for column in times})
    alerts = pd.read_json(path, lines=True, dtype={"transaction_id": "int64"})
    for column in times:
        alerts[column] = pd.to_datetime(alerts[column], utc=True)
    return alerts


def summarize(connection, run: LiveRun) -> dict:
    """Published, ingested, rejected, alerts; live precision/recall; freshness latency."""
    labels = read_labels(run.labels_path)
    alerts = read_alerts(run.alerts_path)
    connection.register("run_labels", labels[["transaction_id", "tx_fraud"]])
    [(ingested, scored, true_pos, false_pos, false_neg, duplicates)] = connection.execute("""
        with
        ingested as (
            select transaction_id from stg_kinesis__transactions
            where transaction_id in (select transaction_id from run_labels)
        ),
        deliveries as (
            select count(*) - count(distinct transaction_id) as duplicates
            from stg_kinesis__stream_records
            where transaction_id in (select transaction_id from run_labels)
        ),
        scored as (
            select run_labels.tx_fraud, predictions.fraud_prediction
            from cust_payment_tx_fraud_predictions as predictions
            inner join run_labels on predictions.transaction_id = run_labels.transaction_id
        )
        select
            (select count(*) from ingested),
            (select count(*) from scored),
            (select count(*) from scored where tx_fraud = 1 and fraud_prediction = 1),
            (select count(*) from scored where tx_fraud = 0 and fraud_prediction = 1),
            (select count(*) from scored where tx_fraud = 1 and fraud_prediction = 0),
            (select duplicates from deliveries)
    """).fetchall()
    [(rejected,)] = connection.execute("select count(*) from stg_kinesis__rejects").fetchall()
    connection.unregister("run_labels")
    run_alerts = alerts[alerts["transaction_id"].isin(labels["transaction_id"])]
    latency = (run_alerts["alerted_at"] - run_alerts["tx_datetime"]).dt.total_seconds()
    alerted_frauds = run_alerts.merge(labels, on="transaction_id")["tx_fraud"].sum()
    return {
        "published": len(labels),
        "frauds_published": int(labels["tx_fraud"].sum()),
        "ingested": int(ingested),
        "duplicate_deliveries": int(duplicates),
        "rejected_records_in_stream": int(rejected),
        "scored": int(scored),
        "alerts_raised": len(run_alerts),
        "alerts_on_true_frauds": int(alerted_frauds),
        "live_precision": _ratio(true_pos, true_pos + false_pos),
        "live_recall": _ratio(true_pos, true_pos + false_neg),
        "live_true_positives": int(true_pos),
        "live_false_positives": int(false_pos),
        "live_false_negatives": int(false_neg),
        "freshness_p50_s": _quantile(latency, 0.5),
        "freshness_p95_s": _quantile(latency, 0.95),
        "freshness_max_s": _quantile(latency, 1.0),
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _quantile(values: pd.Series, q: float) -> float | None:
    return round(float(values.quantile(q)), 3) if len(values) else None


def format_summary(summary: dict) -> str:
    def show(value, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    return "\n".join(
        [
            f"published {summary['published']:,} transactions "
            f"({summary['frauds_published']:,} frauds); ingested {summary['ingested']:,}; "
            f"scored {summary['scored']:,}; rejected records in the stream "
            f"{summary['rejected_records_in_stream']:,}",
            f"alerts raised {summary['alerts_raised']:,} "
            f"({summary['alerts_on_true_frauds']:,} on true frauds); live precision "
            f"{show(summary['live_precision'], '.3f')}, recall "
            f"{show(summary['live_recall'], '.3f')} (the model on its test period: precision "
            f"{show(summary.get('test_precision'), '.3f')}, recall "
            f"{show(summary.get('test_recall'), '.3f')})",
            f"freshness, transaction to alert: p50 {show(summary['freshness_p50_s'], '.2f')} s, "
            f"p95 {show(summary['freshness_p95_s'], '.2f')} s, "
            f"max {show(summary['freshness_max_s'], '.2f')} s",
        ]
    )


def test_period_scores(connection, models_dir: Path) -> tuple[pd.DataFrame, object]:
    """The labelled history after the model's training window and label delay, scored."""
    model, info = ModelStore(models_dir, MODEL_NAME).load()
    test_start = pd.Timestamp(info.training_end) + pd.Timedelta(days=LABEL_DELAY_DAYS)
    frame = connection.execute(
        f"select tx_fraud, {', '.join(MODEL_INPUTS)} from int_training_features "
        "where tx_datetime >= ? and tx_fraud is not null",
        [test_start.to_pydatetime()],
    ).df()
    scores = (
        prior_corrected(
            model.predict_proba(frame[list(MODEL_INPUTS)].to_numpy(np.float64))[:, 1],
            info.genuine_sample_rate,
        )
        if len(frame)
        else np.array([])
    )
    return frame.assign(score=scores), info


def test_quality(test: pd.DataFrame, info) -> dict:
    """The model's precision and recall at its threshold on its test period."""
    predicted = test["score"] >= info.threshold
    true_pos = int((predicted & (test["tx_fraud"] == 1)).sum())
    return {
        "test_period_transactions": len(test),
        "test_precision": _ratio(true_pos, int(predicted.sum())),
        "test_recall": _ratio(true_pos, int((test["tx_fraud"] == 1).sum())),
    }


def write_report(
    connection, run: LiveRun, summary: dict, test: pd.DataFrame, info, out: Path
) -> Path:
    """report.html and its PNG figures in `out`; returns the page's path.

    ``test`` and ``info`` come from test_period_scores."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_curve

    out.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str]] = []

    def save(figure, name: str, caption: str) -> None:
        figure.tight_layout()
        figure.savefig(out / name, dpi=110)
        plt.close(figure)
        figures.append((name, caption))

    monthly = connection.execute("""
        select date_trunc('month', tx_datetime) as month,
            count(*) filter (where tx_fraud = 1) as frauds,
            count(*) filter (where tx_fraud = 0) as genuine
        from cust_payment_tx_history group by 1 order by 1
    """).df()
    figure, genuine_axis = plt.subplots(figsize=(8, 3.6))
    labels = monthly["month"].dt.strftime("%Y-%m")
    genuine_axis.bar(labels, monthly["genuine"], color="#9bb7d4", label="genuine")
    genuine_axis.set_ylabel("genuine transactions")
    fraud_axis = genuine_axis.twinx()
    fraud_axis.plot(labels, monthly["frauds"], color="#c0392b", marker="o", label="frauds")
    fraud_axis.set_ylabel("frauds", color="#c0392b")
    fraud_axis.set_ylim(bottom=0)
    genuine_axis.set_title("History: transactions per month, fraud vs genuine")
    save(figure, "monthly_trend.png", "Monthly fraud vs genuine transactions in the history.")

    if len(test) and test["tx_fraud"].nunique() == 2:
        precision, recall, _ = precision_recall_curve(test["tx_fraud"], test["score"])
        average_precision = average_precision_score(test["tx_fraud"], test["score"])
        figure, axis = plt.subplots(figsize=(5, 4))
        axis.plot(recall, precision, color="#2c3e50")
        axis.set_xlabel("recall")
        axis.set_ylabel("precision")
        axis.set_title(f"Test period: precision-recall (AP {average_precision:.3f})")
        save(figure, "test_precision_recall.png", "The model's precision-recall curve.")

        predicted = (test["score"] >= info.threshold).astype(int)
        matrix = confusion_matrix(test["tx_fraud"], predicted, labels=[0, 1])
        figure, axis = plt.subplots(figsize=(4.2, 3.8))
        shades = np.log1p(matrix)
        axis.imshow(shades, cmap="Blues", vmin=0)
        for (row, column), count in np.ndenumerate(matrix):
            dark = shades[row, column] > shades.max() / 2
            axis.text(
                column,
                row,
                f"{count:,}",
                ha="center",
                va="center",
                color="white" if dark else "black",
            )
        axis.set_xticks([0, 1], ["genuine", "fraud"])
        axis.set_yticks([0, 1], ["genuine", "fraud"])
        axis.set_xlabel("predicted")
        axis.set_ylabel("actual")
        axis.set_title(f"Test period at threshold {info.threshold:.2f}")
        save(figure, "test_confusion_matrix.png", "Confusion matrix on the test period.")

    figure, axis = plt.subplots(figsize=(4.5, 3.4))
    values = [summary["live_precision"] or 0.0, summary["live_recall"] or 0.0]
    axis.bar(["precision", "recall"], values, color=["#27ae60", "#2980b9"])
    for position, value in enumerate(values):
        axis.text(position, value + 0.02, f"{value:.2f}", ha="center")
    axis.set_ylim(0, 1.1)
    axis.set_title("Live stream against the ground truth")
    save(figure, "live_precision_recall.png", "Live precision and recall.")

    performance = connection.execute("""
        select stream_day, sum(transactions_scored) as scored, sum(alerts) as alerts,
            sum(frauds_known) as frauds_known, sum(frauds_caught) as frauds_caught,
            sum(label_known_share * transactions_scored) / sum(transactions_scored) as known
        from fraud_model_performance group by stream_day order by stream_day
    """).df()
    figure, axis = plt.subplots(figsize=(6, 3.4))
    days = performance["stream_day"].astype(str)
    for offset, (column, color) in enumerate(
        (("alerts", "#e67e22"), ("frauds_known", "#c0392b"), ("frauds_caught", "#27ae60"))
    ):
        positions = np.arange(len(days)) + (offset - 1) * 0.27
        axis.bar(positions, performance[column], width=0.27, color=color, label=column)
    axis.set_xticks(np.arange(len(days)), days)
    axis.set_ylabel("transactions")
    known = ", ".join(f"{share:.0%}" for share in performance["known"])
    axis.set_title(f"fraud_model_performance per day (labels known: {known or 'none'})")
    axis.legend()
    save(
        figure,
        "model_performance.png",
        "The mart fraud_model_performance per stream day: alerts, and the frauds known and"
        " caught. A transaction is judged once its label delay (7 days) has passed, so a"
        " minute's stream is scored but not judged yet; a long run fills it day by day.",
    )

    alerts = read_alerts(run.alerts_path)
    latency = (alerts["alerted_at"] - alerts["tx_datetime"]).dt.total_seconds()
    figure, axis = plt.subplots(figsize=(6, 3.4))
    axis.hist(latency, bins=30, color="#8e44ad")
    for name, q, style in (("p50", 0.5, "--"), ("p95", 0.95, ":")):
        if len(latency):
            axis.axvline(latency.quantile(q), color="black", linestyle=style, label=name)
    axis.set_xlabel("seconds from transaction to alert")
    axis.set_ylabel("alerts")
    axis.set_title("Freshness latency")
    if len(latency):
        axis.legend()
    save(figure, "freshness_latency.png", "Freshness latency, transaction to alert.")

    page = out / "report.html"
    page.write_text(_page(summary, info, figures))
    return page


def _page(summary: dict, info, figures: list[tuple[str, str]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(key)}</th><td>{html.escape(str(value))}</td></tr>"
        for key, value in summary.items()
    )
    images = "".join(
        f'<figure><img src="{name}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, caption in figures
    )
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    model = (
        f"{html.escape(info.learner)} v{info.version}, threshold {info.threshold:.3f}, "
        f"trained on {info.training_rows:,} transactions to {html.escape(info.training_end)}"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fraud detection: demo report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ padding: .2rem .8rem; text-align: left; }}
tr:nth-child(even) {{ background: #f4f6f8; }} figure {{ display: inline-block; margin: 1rem; }}
</style></head><body>
<h1>Near-real-time fraud detection: demo report</h1>
<p>Made {made}. Model: {model}.</p>
<h2>Summary</h2><table>{rows}</table>
<h2>Figures</h2>{images}
<pre>{html.escape(json.dumps(summary, indent=2))}</pre>
</body></html>
"""
