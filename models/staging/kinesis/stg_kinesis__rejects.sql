-- Records that are not a valid transaction, with the reason and their stream coordinates,
-- so that nothing the stream delivered disappears in silence. A conflicting duplicate also
-- carries the stream coordinates of the first arrival, the one kept.

with

stream_records as (

    select
        _shard_id,
        _sequence_number,
        _partition_key,
        _arrived_at,
        reject_reason,
        _first_shard_id,
        _first_sequence_number
    from {{ ref('stg_kinesis__stream_records') }}
    where reject_reason is not null

),

stream as (

    select
        shard_id,
        sequence_number,
        kinesis_data
    from {{ ref('cust_payment_tx_stream') }}

),

rejects_with_data as (

    select
        stream_records._shard_id,
        stream_records._sequence_number,
        stream_records._partition_key,
        stream_records._arrived_at,
        stream_records.reject_reason,
        stream_records._first_shard_id,
        stream_records._first_sequence_number,
        stream.kinesis_data
    from stream_records
    inner join stream
        on
            stream_records._shard_id = stream.shard_id
            and stream_records._sequence_number = stream.sequence_number

)

select * from rejects_with_data
