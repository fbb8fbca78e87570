{{ config(materialized='view', bind=false) }}

-- How the served model does, per day of the stream and model version (the version that
-- scored the transactions; a day a retrained version began serving has a row for each),
-- judged by the labels known so far: the fraud team's reports (int_labelled_transactions)
-- for transactions whose label delay has passed (is_label_known); younger ones count as
-- scored but not yet judged. Per day and version:
-- transactions scored, alerts raised, frauds known, frauds caught, precision and recall at
-- the served threshold, card precision@100 (the Fraud Detection Handbook's daily measure: of
-- the 100 cards with the highest fraud probability that day, the share with a known fraud),
-- and the share of transactions whose label is known. Late-binding on Redshift, as it reads
-- views (the predictions are one there): WITH NO SCHEMA BINDING,
-- https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html

with

predictions as (

    select
        transaction_id,
        customer_id,
        fraud_prediction,
        fraud_probability,
        model_version,
        cast(tx_datetime as date) as stream_day
    from {{ ref('cust_payment_tx_fraud_predictions') }}

),

labels as (

    select
        transaction_id,
        tx_fraud,
        is_label_known
    from {{ ref('int_labelled_transactions') }}
    where label_source = 'feedback'

),

judged as (

    select
        predictions.*,
        coalesce(labels.is_label_known, false) as is_label_known,
        case when labels.is_label_known then labels.tx_fraud end as known_fraud
    from predictions
    left join labels
        on predictions.transaction_id = labels.transaction_id

),

cards as (

    select
        stream_day,
        model_version,
        customer_id,
        max(fraud_probability) as card_score,
        max(coalesce(known_fraud, 0)) as card_fraud
    from judged
    group by stream_day, model_version, customer_id

),

cards_ranked as (

    -- ROW_NUMBER with ORDER BY ... NULLS LAST: Redshift's window syntax (its order_list
    -- takes NULLS FIRST | NULLS LAST),
    -- https://docs.aws.amazon.com/redshift/latest/dg/c_Window_functions.html
    select
        stream_day,
        model_version,
        card_fraud,
        row_number() over (
            partition by stream_day, model_version
            order by card_score desc nulls last, customer_id asc
        ) as card_rank
    from cards

),

top_cards as (

    select
        stream_day,
        model_version,
        sum(card_fraud) as compromised_in_top_100
    from cards_ranked
    where card_rank <= 100
    group by stream_day, model_version

),

daily as (

    select
        stream_day,
        model_version,
        count(*) as transactions_scored,
        sum(fraud_prediction) as alerts,
        sum(case when is_label_known then 1 else 0 end) as labels_known,
        sum(case when known_fraud = 1 then 1 else 0 end) as frauds_known,
        sum(case when known_fraud = 1 and fraud_prediction = 1 then 1 else 0 end)
            as frauds_caught,
        sum(case when is_label_known and fraud_prediction = 1 then 1 else 0 end)
            as alerts_judged
    from judged
    group by stream_day, model_version

)

select
    daily.stream_day,
    daily.model_version,
    daily.transactions_scored,
    daily.alerts,
    daily.frauds_known,
    daily.frauds_caught,
    cast(daily.labels_known as double precision) / daily.transactions_scored
        as label_known_share,
    case
        when daily.alerts_judged > 0
            then cast(daily.frauds_caught as double precision) / daily.alerts_judged
    end as alert_precision,
    case
        when daily.frauds_known > 0
            then cast(daily.frauds_caught as double precision) / daily.frauds_known
    end as recall,
    case
        when daily.labels_known = daily.transactions_scored
            then cast(coalesce(top_cards.compromised_in_top_100, 0) as double precision) / 100
    end as card_precision_at_100
from daily
left join top_cards
    on
        daily.stream_day = top_cards.stream_day
        and daily.model_version = top_cards.model_version
