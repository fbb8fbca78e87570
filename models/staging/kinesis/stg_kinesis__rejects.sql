{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

-- Records that are not a valid transaction, with the reason, their stream coordinates and
-- their bytes, so that nothing the stream delivered disappears in silence (the bytes are
-- kept here: the stream itself is trimmed). A conflicting duplicate also carries the stream
-- coordinates of the first arrival, the one kept. Incremental: each run takes the ledger's
-- rejects from the refreshes since its last run; a reject is examined once.

with

stream_records as (

    select
        _shard_id,
        _sequence_number,
        _partition_key,
        _arrived_at,
        _refreshed_at,
        reject_reason,
        _first_shard_id,
        _first_sequence_number,
        kinesis_data
    from {{ ref('stg_kinesis__stream_records') }} as stream_records
    {{ refreshed_since_last_run('stream_records._refreshed_at') }}

),

rejects as (

    select *
    from stream_records
    where reject_reason is not null

)

select * from rejects
