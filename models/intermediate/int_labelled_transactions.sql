-- Every transaction with its label as the fraud team knew it label_delay_days (var, 7) after
-- the transaction: the labelled history, then the stream's transactions labelled by the
-- feedback stream. For a streamed transaction at t, the label is the latest report made by
-- t + delay (1 a confirmed fraud, 0 a withdrawn or cleared report), and with no report by
-- then it is genuine: the Fraud Detection Handbook's assumption that frauds are known within
-- the delay. A report made later is left out, so the label never comes from after t + delay:
-- terminal windows, which read transactions up to T - delay for a transaction at T, use only
-- what was reported by T, however late the feedback was ingested. label_known_at is that
-- time (t + delay); is_label_known says whether the stream has reached it (its newest
-- transaction is at or after it), which the training set requires. A view: range filters on
-- tx_datetime reach the history's and the stream's sort order. It reads tables only, and is
-- late-binding on Redshift (bind=false): a view bound to other views would be dropped with
-- them (DROP ... CASCADE) whenever dbt replaces them, and the refresh loop, which runs the
-- incremental models only, would find it gone. WITH NO SCHEMA BINDING:
-- https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html

{{ config(bind=false) }}

{%- set delay_days = label_delay_days() %}

with

history as (

    select
        transaction_id,
        tx_datetime,
        customer_id,
        terminal_id,
        tx_amount,
        tx_fraud,
        'history' as label_source
    from {{ ref('cust_payment_tx_history') }}

),

streamed as (

    select
        transaction_id,
        tx_datetime,
        customer_id,
        terminal_id,
        tx_amount
    from {{ ref('stg_kinesis__transactions') }}

),

reports as (

    -- The valid reports, each once (stg_kinesis__fraud_reports, read from its table).
    select
        transaction_id,
        tx_fraud,
        reported_at
    from {{ ref('stg_kinesis__feedback_records') }}
    where _delivery_number = 1

),

reports_in_time as (

    -- Per streamed transaction that has a report made by t + delay, the latest such report.
    select
        reports.transaction_id,
        max(reports.reported_at) as reported_at
    from reports
    inner join streamed
        on reports.transaction_id = streamed.transaction_id
    where reports.reported_at <= {{ dbt.dateadd('day', delay_days, 'streamed.tx_datetime') }}
    group by reports.transaction_id

),

labels_in_time as (

    -- Two reports made at the same time: a confirmed fraud wins over a cleared one.
    select
        reports.transaction_id,
        max(reports.tx_fraud) as tx_fraud
    from reports
    inner join reports_in_time
        on
            reports.transaction_id = reports_in_time.transaction_id
            and reports.reported_at = reports_in_time.reported_at
    group by reports.transaction_id

),

streamed_labelled as (

    select
        streamed.transaction_id,
        streamed.tx_datetime,
        streamed.customer_id,
        streamed.terminal_id,
        streamed.tx_amount,
        coalesce(labels_in_time.tx_fraud, 0) as tx_fraud,
        'feedback' as label_source
    from streamed
    left join labels_in_time
        on streamed.transaction_id = labels_in_time.transaction_id

),

labelled as (

    select * from history
    union all
    select * from streamed_labelled

),

labels_dated as (

    select
        *,
        {{ dbt.dateadd('day', delay_days, 'tx_datetime') }} as label_known_at
    from labelled

)

select
    *,
    label_source = 'history'
    or label_known_at <= (
        select max(clock.tx_datetime) from {{ ref('stg_kinesis__transactions') }} as clock
    ) as is_label_known
from labels_dated
