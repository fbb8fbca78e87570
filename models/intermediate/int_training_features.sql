{{ config(materialized='table') }}

-- The training set: every labelled transaction with its 15 model inputs, computed point in
-- time by transaction_features (the same definition scoring uses), and its label.

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

{{ transaction_features(targets='history', customer_events='history', terminal_events='history') }},

features_labelled as (

    select
        transaction_features.*,
        history.tx_fraud
    from transaction_features
    inner join history
        on transaction_features.transaction_id = history.transaction_id

)

select * from features_labelled
