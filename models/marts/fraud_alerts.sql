{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

-- The alert queue: each stream transaction predicted fraudulent, once, added by the run that
-- first scored it, with what the walkthrough's final query shows (who to call, the amount,
-- the terminal, the probability). The alert sink (python -m fraud_detection alerts) delivers the
-- rows queued after the last ones it delivered. The anti-join keeps one row per transaction;
-- the _refreshed_at filter keeps each run's scan to the refreshes since the newest alert.

with

predictions as (

    select
        transaction_id,
        tx_datetime,
        approximate_arrival_timestamp,
        customer_id,
        terminal_id,
        tx_amount,
        full_name,
        email_address,
        phone_number,
        fraud_probability,
        _refreshed_at
    from {{ ref('cust_payment_tx_fraud_predictions') }}
    where fraud_prediction = 1

),

{%- if project_var('offline_compile', false) or is_incremental() %}

    alerts_raised as (

        select
            transaction_id,
            _refreshed_at
        from {{ this }}

    ),

    predictions_not_alerted as (

        select predictions.*
        from predictions
        left join alerts_raised
            on predictions.transaction_id = alerts_raised.transaction_id
        where
            predictions._refreshed_at >= {{ newest_refresh_taken(this) }}
            and alerts_raised.transaction_id is null

    ),

{%- else %}

    predictions_not_alerted as (

        select * from predictions

    ),

{%- endif %}

alerts_queued as (

    select
        predictions_not_alerted.*,
        -- The run that queued the alert (UTC), the same for every row it queued.
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as _queued_at
    from predictions_not_alerted

)

select * from alerts_queued
