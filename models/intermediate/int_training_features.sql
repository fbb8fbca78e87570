{{ config(materialized='table') }}

-- The training set: every labelled transaction with its 15 model inputs, computed point in
-- time by transaction_features (the same definition scoring uses), its label, and the second
-- model's extra inputs (relative_features, per-row ratios of the 15, as scoring adds them).

with

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

{{ transaction_features(
    targets='history',
    customer_events='history',
    terminal_events='history',
    carry=['tx_fraud'],
) }}

select
    *,
    {{ relative_features() }}
from transaction_features
