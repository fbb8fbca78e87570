{{ config(materialized='table') }}

-- The labelled history, typed as in the walkthrough's table, in time order (so range
-- filters on tx_datetime skip most of it). Extra columns of the source are ignored.

with

history as (

    select
        cast(transaction_id as bigint) as transaction_id,
        cast(tx_datetime as timestamp) as tx_datetime,
        cast(customer_id as bigint) as customer_id,
        cast(terminal_id as bigint) as terminal_id,
        cast(tx_amount as decimal(18, 2)) as tx_amount,
        cast(tx_time_seconds as bigint) as tx_time_seconds,
        cast(tx_time_days as bigint) as tx_time_days,
        cast(tx_fraud as integer) as tx_fraud,
        cast(tx_fraud_scenario as integer) as tx_fraud_scenario
    from {{ source('history', 'cust_payment_tx_history') }}

),

history_ordered as (

    select *
    from history
    order by tx_datetime, transaction_id

)

select * from history_ordered
