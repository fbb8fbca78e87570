{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        sort=['_refreshed_at', '_arrived_at'],
        full_refresh=('stg_kinesis__feedback_records' in project_var('rebuild_streaming_views', [])),
        post_hook="{{ trim_stream(ref('cust_payment_fraud_feedback_stream'), this) }}",
    )
}}

-- The ledger of the feedback stream: one row per report record ingested, typed, validated
-- and deduplicated once, as stg_kinesis__stream_records is for the transactions (and
-- incremental the same way: each run takes the streaming view's records it does not hold
-- yet, ledger_records_not_taken). A report is TRANSACTION_ID, TX_FRAUD (1 a confirmed fraud,
-- 0 a report withdrawn or cleared) and REPORTED_AT. The rules, the first one broken being
-- the reason: too_large, not_utf8, duplicate_key, not_json, not_a_json_object, missing_<key>,
-- invalid_<key> (TX_FRAUD is 0 or 1, REPORTED_AT a timestamp), and reported_at_in_future
-- (more than the var max_clock_skew_seconds after the record reached the stream). An exact
-- redelivery (the same three fields again) is kept once: _delivery_number 1 for the first
-- arrival. Two
-- reports on one transaction are both kept: the latest REPORTED_AT wins downstream
-- (stg_kinesis__fraud_reports). A report may come before its transaction: it waits here.

{%- set max_record_bytes = 65535 -%}
{%- set integer = '([0-9]{1,18}|[1-8][0-9]{18})' -%}
{#- A time of day from 00:00:00 to 23:59:59 (24:00:00 would cast to the next midnight). -#}
{%- set time_of_day = '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?' -%}
{%- set datetime = '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]' ~ time_of_day -%}
{%- set fields = [
    ('TRANSACTION_ID', integer, 'number', 'bigint'),
    ('TX_FRAUD', '[01]', 'number', 'integer'),
    ('REPORTED_AT', datetime, 'string', 'timestamp'),
] %}

{#- The streaming view, and the newest _refreshed_at held (none on a first run or a full
    refresh): the cursor. -#}
{%- set view = ref('cust_payment_fraud_feedback_stream') %}
{%- set taken = newest_refresh_taken(this) if run_takes_new_rows() else none %}

with

stream as (

    select
        shard_id,
        sequence_number,
        partition_key,
        approximate_arrival_timestamp,
        refresh_time,
        kinesis_data,
        payload
    from {{ view }} as stream_records
    {{ ledger_records_not_taken(view, 'stream_records', taken) }}

),

records_sized as (

    select
        *,
        octet_length(kinesis_data) > {{ max_record_bytes }} as is_too_large,
        {{ is_utf8('kinesis_data') }} as is_utf8
    from stream

),

fields_extracted as (

    select
        *,
        payload is not null and {{ json_is_standard('payload') }} as is_json,
        {{ json_is_object('payload') }} as is_object,
        {{ record_checks_extracted(fields) }}
    from records_sized

),

fields_typed as (

    select
        *,
        {{ record_checks_typed(fields) }}
    from fields_extracted

),

records_validated as (

    select
        shard_id as _shard_id,
        sequence_number as _sequence_number,
        partition_key as _partition_key,
        approximate_arrival_timestamp as _arrived_at,
        {{ ledger_refreshed_at('refresh_time', taken) }} as _refreshed_at,
        refresh_time as _refresh_started_at,
        kinesis_data,
        transaction_id_typed,
        tx_fraud_typed,
        reported_at_typed,
        case
            {{ record_checks_rejects(fields, 'fields_typed') }}
            when fields_typed.reported_at_typed > {{ dbt.dateadd(
                'second', max_clock_skew_seconds(),
                'fields_typed.approximate_arrival_timestamp') }}
                then 'reported_at_in_future'
        end as reject_reason
    from fields_typed

),

reports_numbered as (

    select
        _shard_id,
        _sequence_number,
        _partition_key,
        _arrived_at,
        _refreshed_at,
        _refresh_started_at,
        reject_reason,
        case when reject_reason is null then transaction_id_typed end as transaction_id,
        case when reject_reason is null then tx_fraud_typed end as tx_fraud,
        case when reject_reason is null then reported_at_typed end as reported_at,
        case when reject_reason is not null then kinesis_data end as kinesis_data,
        row_number() over (
            partition by transaction_id_typed, tx_fraud_typed, reported_at_typed, reject_reason
            -- Sequence numbers in numeric order: decimal strings without leading zeros
            -- (up to 129 digits), so the shorter is the smaller.
            -- https://docs.aws.amazon.com/redshift/latest/dg/r_LENGTH.html
            order by _arrived_at, _shard_id, length(_sequence_number), _sequence_number
        ) as _arrival
    from records_validated

),

{%- if run_takes_new_rows() %}

    earlier_reports as (

        -- The reports of these transactions that earlier runs took (a few a transaction).
        select
            transaction_id,
            tx_fraud,
            reported_at
        from {{ this }} as earlier
        where
            earlier._delivery_number = 1
            and earlier.transaction_id in (
                select new_reports.transaction_id from reports_numbered as new_reports
            )

    ),

{%- else %}

    earlier_reports as (

        select
            transaction_id,
            tx_fraud,
            reported_at
        from reports_numbered
        where 1 = 0

    ),

{%- endif %}

reports_classified as (

    select
        reports_numbered._shard_id,
        reports_numbered._sequence_number,
        reports_numbered._partition_key,
        reports_numbered._arrived_at,
        reports_numbered._refreshed_at,
        reports_numbered._refresh_started_at,
        reports_numbered.reject_reason,
        reports_numbered.transaction_id,
        reports_numbered.tx_fraud,
        reports_numbered.reported_at,
        reports_numbered.kinesis_data,
        case
            when reports_numbered.reject_reason is not null then null
            when earlier_reports.transaction_id is not null then 2
            else reports_numbered._arrival
        end as _delivery_number
    from reports_numbered
    left join earlier_reports
        on
            reports_numbered.transaction_id = earlier_reports.transaction_id
            and reports_numbered.tx_fraud = earlier_reports.tx_fraud
            and reports_numbered.reported_at = earlier_reports.reported_at
    order by
        reports_numbered._refreshed_at,
        reports_numbered._arrived_at,
        reports_numbered._shard_id,
        reports_numbered._sequence_number

)

select * from reports_classified
