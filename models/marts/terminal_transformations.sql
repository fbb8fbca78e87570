-- Each terminal's current risk (the walkthrough's view of that name): the number of its
-- labelled transactions in (as_of - d - w days, as_of - d days] for each feature window w
-- (var feature_windows) and the label delay d (var label_delay_days), and the share that were
-- fraud (0 when none), as of the newest transaction known. Only the labelled history counts,
-- as in the training features.
{%- set delay = label_delay_days() %}
{%- set windows = feature_windows() %}
{%- set reach = delay + windows[-1] %}

with

history as (

    select
        terminal_id,
        tx_datetime,
        tx_fraud
    from {{ ref('cust_payment_tx_history') }}

),

stream_transactions as (

    select tx_datetime from {{ ref('stg_kinesis__transactions') }}

),

transactions_known as (

    select tx_datetime from history
    union all
    select tx_datetime from stream_transactions

),

as_of as (

    select max(tx_datetime) as as_of_datetime from transactions_known

),

terminal_windows as (

    select
        history.terminal_id,
        max(as_of.as_of_datetime) as as_of_datetime,
        {% for w in windows %}
            {%- set window_start = dbt.dateadd('day', -(delay + w), 'as_of.as_of_datetime') %}
            count(
                case when history.tx_datetime > {{ window_start }} then 1 end
            ) as terminal_id_nb_tx_{{ w }}day_window,
            coalesce(
                avg(
                    case
                        when history.tx_datetime > {{ window_start }}
                            then cast(history.tx_fraud as double precision)
                    end
                ),
                0
            ) as terminal_id_risk_{{ w }}day_window
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from history
    cross join as_of
    where
        history.tx_datetime > {{ dbt.dateadd('day', -reach, 'as_of.as_of_datetime') }}
        and history.tx_datetime <= {{ dbt.dateadd('day', -delay, 'as_of.as_of_datetime') }}
    group by history.terminal_id

)

select * from terminal_windows
