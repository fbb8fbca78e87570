{{ config(severity='warn') }}

-- A transaction id delivered twice with different fields: the first arrival was kept, and the
-- later one is a reject (conflicting_duplicate). Warns: the producer or the stream is at
-- fault, and someone should look; nothing downstream is wrong.

select
    _shard_id,
    _sequence_number,
    _first_shard_id,
    _first_sequence_number
from {{ ref('stg_kinesis__rejects') }}
where reject_reason = 'conflicting_duplicate'
