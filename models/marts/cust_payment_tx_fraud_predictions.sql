{#- A view on Redshift, as in the walkthrough. Locally an incremental table: a view calling the
    plugin's function could only be read through dbt, and each run scores only new rows. -#}
{{
    config(
        materialized='view' if target.type == 'redshift' else 'incremental',
        incremental_strategy='append',
    )
}}

-- Every scored stream transaction with the fraud model's verdict (the walkthrough's view of
-- that name): when it arrived, its ids and amount, who to call, the fraud probability and
-- fraud_prediction (1 when the probability reaches the model's tuned threshold).
-- The prediction function comes with the trained model: depends_on: {{ ref('cust_cc_txn_fd') }}

{%- set inputs = [
    'scored.tx_amount',
    'scored.tx_during_weekend',
    'scored.tx_during_night',
    'scored.customer_id_nb_tx_1day_window',
    'scored.customer_id_avg_amount_1day_window',
    'scored.customer_id_nb_tx_7day_window',
    'scored.customer_id_avg_amount_7day_window',
    'scored.customer_id_nb_tx_30day_window',
    'scored.customer_id_avg_amount_30day_window',
    'scored.terminal_id_nb_tx_1day_window',
    'scored.terminal_id_risk_1day_window',
    'scored.terminal_id_nb_tx_7day_window',
    'scored.terminal_id_risk_7day_window',
    'scored.terminal_id_nb_tx_30day_window',
    'scored.terminal_id_risk_30day_window',
] %}

with

scored as (

    select *
    from {{ ref('int_scoring_features') }} as scoring_features
    {{ refreshed_since_last_run('scoring_features._refreshed_at') }}

),

customers as (

    select
        customer_id,
        full_name,
        email_address,
        phone_number
    from {{ ref('customer_info') }}

),

predictions as (

    select
        scored._arrived_at as approximate_arrival_timestamp,
        scored.transaction_id,
        scored.tx_datetime,
        scored.customer_id,
        scored.terminal_id,
        scored.tx_amount,
        customers.full_name,
        customers.email_address,
        customers.phone_number,
        {{ fraud_probability('fn_customer_cc_fd', inputs) }} as fraud_probability,
        fn_customer_cc_fd({{ inputs | join(', ') }}) as fraud_prediction,
        scored._refreshed_at
    from scored
    left join customers
        on scored.customer_id = customers.customer_id

)

select * from predictions
