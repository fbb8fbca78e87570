{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        full_refresh=false,
    )
}}

-- The alert queue's delivery marks: per sink (terminal, file, sns), the newest alert of
-- fraud_alerts it took, in the queue's order (_queued_at, then transaction_id; null: from the
-- start). Written by the alert delivery (the macro record_alert_deliveries), never by a
-- run: this model only creates the empty table, and a full refresh leaves it alone, since
-- losing the marks would send every queued alert again.
-- depends_on: {{ ref('fraud_alerts') }}

select
    cast(null as varchar(16)) as sink,
    cast(null as timestamp) as delivered_through_queued_at,
    cast(null as bigint) as delivered_through_transaction_id,
    cast(null as timestamp) as delivered_at
where 1 = 0
