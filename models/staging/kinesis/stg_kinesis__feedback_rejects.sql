-- Feedback records that are not a valid report, with the reason, their stream coordinates
-- and their bytes: nothing the feedback stream delivered disappears in silence.

select
    _shard_id,
    _sequence_number,
    _partition_key,
    _arrived_at,
    _refreshed_at,
    reject_reason,
    kinesis_data
from {{ ref('stg_kinesis__feedback_records') }}
where reject_reason is not null
