-- The fraud team's reports, one row per distinct report (redeliveries removed), valid ones
-- only, each with the time it was made: for analysts (int_labelled_transactions reads the
-- same rows from the ledger's table, so that no view is bound to this one).

select
    transaction_id,
    tx_fraud,
    reported_at,
    _arrived_at,
    _refreshed_at
from {{ ref('stg_kinesis__feedback_records') }}
where _delivery_number = 1
