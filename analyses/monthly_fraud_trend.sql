-- Fraud and genuine transactions per month in the labelled history (the walkthrough's trend).
with

history as (

    select
        tx_datetime,
        tx_fraud
    from {{ ref('cust_payment_tx_history') }}

),

months_counted as (

    select
        {{ dbt.date_trunc('month', 'tx_datetime') }} as tx_month,
        sum(case when tx_fraud = 1 then 1 else 0 end) as fraud_transactions,
        sum(case when tx_fraud = 0 then 1 else 0 end) as genuine_transactions,
        count(*) as transactions
    from history
    group by 1

)

select * from months_counted
order by 1
