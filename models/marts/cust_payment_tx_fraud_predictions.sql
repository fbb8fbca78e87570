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

{%- set fraud_model = var('fraud_model') %}
{%- set inputs = [] %}
{%- for input in fraud_model['inputs'] %}
    {%- do inputs.append('scored.' ~ input) %}
{%- endfor %}

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
        {{ fraud_probability(fraud_model['function'], inputs) }} as fraud_probability,
        {{ fraud_model['function'] }}({{ inputs | join(', ') }}) as fraud_prediction,
        scored._refreshed_at
    from scored
    left join customers
        on scored.customer_id = customers.customer_id

)

select * from predictions
