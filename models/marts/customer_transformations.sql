-- Each customer's current spending behaviour (the walkthrough's view of that name): the
-- number and mean amount of their transactions in the last 1, 7 and 30 days, over history
-- plus stream, as of the newest transaction known. Windows are (as_of - w days, as_of], as in
-- the training features.

with

history as (

    select
        customer_id,
        tx_datetime,
        tx_amount
    from {{ ref('cust_payment_tx_history') }}

),

stream_transactions as (

    select
        customer_id,
        tx_datetime,
        tx_amount
    from {{ ref('stg_kinesis__transactions') }}

),

transactions_known as (

    select
        customer_id,
        tx_datetime,
        tx_amount
    from history
    union all
    select
        customer_id,
        tx_datetime,
        tx_amount
    from stream_transactions

),

as_of as (

    select max(tx_datetime) as as_of_datetime from transactions_known

),

customer_windows as (

    select
        transactions_known.customer_id,
        max(as_of.as_of_datetime) as as_of_datetime,
        {% for w in feature_windows() %}
            {%- set window_start = dbt.dateadd('day', -w, 'as_of.as_of_datetime') %}
            count(
                case when transactions_known.tx_datetime > {{ window_start }} then 1 end
            ) as customer_id_nb_tx_{{ w }}day_window,
            avg(
                case
                    when transactions_known.tx_datetime > {{ window_start }}
                        then cast(transactions_known.tx_amount as double precision)
                end
            ) as customer_id_avg_amount_{{ w }}day_window
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from transactions_known
    cross join as_of
    where transactions_known.tx_datetime > {{ dbt.dateadd('day', -30, 'as_of.as_of_datetime') }}
    group by transactions_known.customer_id

)

select * from customer_windows
