{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        sort='tx_datetime',
        dist='customer_id',
    )
}}

-- The stream's transactions with the walkthrough's typed columns: one row per transaction
-- id (its first arrival), valid records only. Incremental: each run takes the ledger's rows
-- from the refreshes since its last run, in time order, so that scoring's range filters on
-- tx_datetime prune it (DuckDB's row-group zone maps; Redshift's sort key).

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
    from {{ ref('stg_kinesis__stream_records') }} as stream_records
    {{ refreshed_since_last_run('stream_records._refreshed_at') }}

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

),

transactions_in_time_order as (

    select *
    from transactions_deduplicated
    order by tx_datetime, transaction_id

)

select * from transactions_in_time_order
