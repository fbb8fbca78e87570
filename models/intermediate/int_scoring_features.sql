{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

-- Each stream transaction with its 15 model inputs, computed point in time from history
-- plus stream by transaction_features, the definition the training set uses. Terminal risk
-- comes from int_labelled_transactions: the history, and the stream's transactions with the
-- labels the feedback stream reported within the label delay. Incremental: each run scores
-- only what the streaming view's latest refreshes ingested. The customer windows come from
-- int_customer_totals' running totals and thin slices of the known transactions at the
-- windows' edges, and the terminal windows from the labelled range that the targets' delayed
-- windows reach, all found by literal bounds: a run's cost follows its new rows, not the
-- stream's age nor how busy a customer is.

{%- set stream = ref('stg_kinesis__transactions') %}
{%- set new_rows = refreshed_since_last_run('_refreshed_at') %}
{%- set bounds = customer_totals_taken(ref('int_customer_totals')) %}
{#- A first run reads the bounds as subqueries (an offline compile asks nothing at all). #}
{%- set ask = not project_var('offline_compile', false) and is_incremental() %}
{%- do bounds.update({
    'first': timestamp_lookup(
        'select min(tx_datetime) from ' ~ stream ~ ' ' ~ new_rows, '9000-01-01', ask),
    'last': timestamp_lookup(
        'select max(tx_datetime) from ' ~ stream ~ ' ' ~ new_rows, ask=ask),
}) %}

with

transactions_to_score as (

    select
        transaction_id,
        customer_id,
        terminal_id,
        tx_datetime,
        tx_amount,
        _arrived_at,
        _refreshed_at
    from {{ stream }}
    {{ new_rows }}

),

labelled_transactions as (

    -- The history and the stream's transactions, each labelled as known label_delay_days
    -- after it: a terminal window, which ends that long before its target, sees only labels
    -- reported by the target's time.
    select
        transaction_id,
        terminal_id,
        tx_datetime,
        tx_fraud
    from {{ ref('int_labelled_transactions') }}

),

{{ transaction_features(
    targets='transactions_to_score',
    customer_events=none,
    terminal_events='labelled_transactions',
    carry=['_arrived_at', '_refreshed_at'],
    customer_totals={
        'relation': ref('int_customer_totals'),
        'history': ref('cust_payment_tx_history'),
        'stream': stream,
        'bounds': bounds,
    },
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
