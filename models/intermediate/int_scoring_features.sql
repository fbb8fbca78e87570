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
-- refreshes ingested, so its cost follows the new rows, not the history. Each CTE reads its
-- relation once: DuckDB materializes a CTE that is read twice, which for the stream's
-- transactions would copy every row kept on every run.

with

transactions_to_score as (

    select
        stream_transactions.transaction_id,
        stream_transactions.customer_id,
        stream_transactions.terminal_id,
        stream_transactions.tx_datetime,
        stream_transactions.tx_amount,
        stream_transactions._arrived_at,
        stream_transactions._refreshed_at
    from {{ ref('stg_kinesis__transactions') }} as stream_transactions
    {{ refreshed_since_last_run('stream_transactions._refreshed_at') }}

),

transactions_known as (

    select
        transaction_id,
        customer_id,
        tx_datetime,
        tx_amount
    from {{ ref('cust_payment_tx_history') }}
    union all
    select
        transaction_id,
        customer_id,
        tx_datetime,
        tx_amount
    from {{ ref('stg_kinesis__transactions') }}

),

labelled_history as (

    select
        transaction_id,
        terminal_id,
        tx_datetime,
        tx_fraud
    from {{ ref('cust_payment_tx_history') }}

),

{{ transaction_features(
    targets='transactions_to_score',
    customer_events='transactions_known',
    terminal_events='labelled_history',
    carry=['_arrived_at', '_refreshed_at'],
) }},

features_in_refresh_order as (

    -- Appended in _refreshed_at order, even a large catch-up batch: the next runs' filter on
    -- _refreshed_at then skips all but the newest blocks.
    select *
    from transaction_features
    order by _refreshed_at, tx_datetime, transaction_id

)

-- The second model's extra inputs: per-row ratios of the 15, as the training set adds them.
select
    *,
    {{ relative_features() }}
from features_in_refresh_order
