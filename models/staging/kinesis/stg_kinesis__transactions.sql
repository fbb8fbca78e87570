-- The stream's transactions with the walkthrough's typed columns: one row per transaction
-- id (its first arrival), valid records only.

with

stream_records as (

    select
        transaction_id,
        tx_datetime,
        customer_id,
        terminal_id,
        tx_amount,
        tx_time_seconds,
        tx_time_days,
        _arrived_at,
        _refreshed_at,
        _shard_id,
        _sequence_number,
        _partition_key,
        _delivery_number
    from {{ ref('stg_kinesis__stream_records') }}
    where reject_reason is null

),

transactions_deduplicated as (

    select
        transaction_id,
        tx_datetime,
        customer_id,
        terminal_id,
        tx_amount,
        tx_time_seconds,
        tx_time_days,
        _arrived_at,
        _refreshed_at,
        _shard_id,
        _sequence_number,
        _partition_key
    from stream_records
    where _delivery_number = 1

)

select * from transactions_deduplicated
