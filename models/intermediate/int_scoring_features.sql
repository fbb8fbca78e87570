{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

-- Each stream transaction with its 15 model inputs, computed point in time from history
-- plus stream by transaction_features, the definition the training set uses. Stream
-- transactions carry no label: terminal risk comes from the labelled history, older than
-- the label delay. Incremental: each run scores only what the streaming view's latest
-- refreshes ingested, so its cost follows the new rows, not the history.

with

stream_transactions as (

    select
        transaction_id,
        customer_id,
        terminal_id,
        tx_datetime,
        tx_amount,
        _arrived_at,
        _refreshed_at
    from {{ ref('stg_kinesis__transactions') }}

),

history as (

    select
        transaction_id,
        customer_id,
        terminal_id,
        tx_datetime,
        tx_amount,
        tx_fraud
    from {{ ref('cust_payment_tx_history') }}

),

transactions_to_score as (

    select *
    from stream_transactions
    {{ refreshed_since_last_run('stream_transactions._refreshed_at') }}

),

transactions_known as (

    select
        transaction_id,
        customer_id,
        tx_datetime,
        tx_amount
    from history
    union all
    select
        transaction_id,
        customer_id,
        tx_datetime,
        tx_amount
    from stream_transactions

),

{{ transaction_features(
    targets='transactions_to_score',
    customer_events='transactions_known',
    terminal_events='history',
    carry=['_arrived_at', '_refreshed_at'],
) }}

select * from transaction_features
