"""Alerts: each transaction predicted fraudulent, delivered once to each sink configured.

The warehouse keeps the queue and the delivery marks beside it. The dbt model `fraud_alerts`
adds each predicted fraud once, stamped `_queued_at` with the run that queued it, and
`fraud_alert_deliveries` holds, per sink, the newest alert that sink took (its mark; the
queue's order is `_queued_at`, then `transaction_id`). Delivery sends each sink the alerts
after its own mark, then moves that mark:
- sinks are independent: a failing sink is retried with a capped, jittered backoff while the
  others go on, and its message names the sink and its endpoint;
- a crash between sending and saving a mark re-sends that batch to that sink (at least once,
  never dropped), except to the JSON-lines file, whose last record is itself a mark;
- the marks belong to the queue, not to an output: a new `--alerts-out` file receives what is
  queued from then on, not what an earlier file received;
- a sink seen for the first time starts at the newest mark of the others (an SNS topic added
  later is not sent the past), or at the start of the queue when there is none.

Modules: `alert` (the alert and its mark), `sinks` (terminal, JSON lines, SNS), `marks` (the
marks in the warehouse), `delivery` (what goes where, and the retries).
"""
