{{ config(materialized='table') }}

-- The training set: every transaction whose label is known (int_labelled_transactions: the
-- labelled history, and the stream's transactions once label_delay_days have passed, with
-- the label the feedback stream reported by then) with its 15 model inputs, computed point
-- in time by transaction_features (the same definition scoring uses), its label, and the
-- second model's extra inputs (relative_features, per-row ratios of the 15, as scoring adds
-- them). The customer windows count every transaction, and the terminal windows the labels
-- as known by each target's time, as scoring does; a retrained model so learns from the
-- stream, never from a label reported after the time it is used at.

with

labelled as (

    select
        transaction_id,
        customer_id,
        terminal_id,
        tx_datetime,
        tx_amount,
        -- NULL until known: no known target's terminal window reaches such a label (it ends
        -- label_delay_days before the target, when every label it holds was known).
        case when is_label_known then tx_fraud end as tx_fraud
    from {{ ref('int_labelled_transactions') }}

),

{{ transaction_features(
    targets='labelled',
    customer_events='labelled',
    terminal_events='labelled',
    carry=['tx_fraud'],
) }}

select
    *,
    {{ relative_features() }}
from transaction_features
where tx_fraud is not null
