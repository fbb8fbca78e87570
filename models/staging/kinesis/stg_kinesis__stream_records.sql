{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        sort=['_refreshed_at', '_arrived_at'],
        full_refresh=('stg_kinesis__stream_records' in project_var('rebuild_streaming_views', [])),
        post_hook="{{ trim_stream(ref('cust_payment_tx_stream'), this) }}",
    )
}}

-- The ledger of the stream: one row per record ingested, typed, validated and deduplicated
-- once. Incremental: each run takes only the streaming view's records it does not hold yet,
-- looking back the var refresh_lookback_minutes from the newest _refreshed_at here (a refresh
-- may commit after a later one: ledger_records_not_taken), so its cost follows the new
-- records, not the stream's age; the transactions and the rejects are taken from it.
-- Each row: its stream coordinates, the walkthrough's fields typed, why it is rejected (null
-- when valid), its delivery number (1 for the first arrival of a transaction id; producer
-- retries can deliver a record twice), and for a reject its bytes (the stream is trimmed).
--
-- The rules (a record breaking one is a reject, with the first rule it breaks as reason):
-- - too_large: over 65,535 bytes, the most Redshift's json_serialize reads;
-- - not_utf8; duplicate_key: one of the seven keys named twice (which value counts would be a
--   parser's choice); not_json: not JSON as Redshift's JSON_PARSE takes it (no trailing comma,
--   NaN, Infinity, or any key twice); not_a_json_object;
-- - missing_<key> for an absent or null one of the seven keys (a string, even "", is there);
-- - invalid_<key>: the value is not of its JSON type (numbers for the ids, amount and times,
--   a string for TX_DATETIME), or does not cast to its column's type (the cast itself is the
--   check: a date such as 2026-02-30 or an amount over decimal(18, 2) is invalid), or breaks
--   its rule: ids and times are non-negative integers, the amount is non-negative with at
--   most two decimals (the producer emits no refunds), a time of day is 00:00:00 to
--   23:59:59 (24:00:00 is refused, not read as the next midnight). Numbers are read from
--   the digits as written (json_number_text), never through a double;
-- - tx_datetime_in_future: more than the var max_clock_skew_seconds (300) after the record
--   reached the stream;
-- - transaction_id_in_history: the id of a transaction of the labelled history;
-- - conflicting_duplicate: a later arrival of a transaction id whose fields differ from the
--   first arrival's (kept: the first; _first_shard_id and _first_sequence_number locate it).
-- A later arrival is recognised as such for the var duplicate_horizon_hours (168, 7 days:
-- the limit of Kinesis' extended retention before long-term retention, well over its default
-- 24 hours) after the first arrival; the first arrival wins, whichever run ingested it.
-- The ledger outlives the stream's retention, so --full-refresh leaves it alone unless it is
-- named in the var rebuild_streaming_views (a rebuild reads only what the stream still holds).

{#- The largest record whose fields are read: Redshift's json_serialize errors above the
    VARCHAR limit of 65,535 bytes (https://docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html),
    and Kinesis records reach 1 MiB. A larger record is a reject (too_large), on both targets;
    octet_length takes VARBYTE (https://docs.aws.amazon.com/redshift/latest/dg/r_OCTET_LENGTH.html). -#}
{%- set max_record_bytes = 65535 -%}
{#- Non-negative integers that fit a bigint: up to 18 digits, or 19 below 9e18. -#}
{%- set integer = '([0-9]{1,18}|[1-8][0-9]{18})' -%}
{#- A time of day from 00:00:00 to 23:59:59 (24:00:00 would cast to the next midnight). -#}
{%- set time_of_day = '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?' -%}
{%- set datetime = '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]' ~ time_of_day -%}
{#- key, pattern, JSON type (number or string), column type -#}
{%- set fields = [
    ('TRANSACTION_ID', integer, 'number', 'bigint'),
    ('TX_DATETIME', datetime, 'string', 'timestamp'),
    ('CUSTOMER_ID', integer, 'number', 'bigint'),
    ('TERMINAL_ID', integer, 'number', 'bigint'),
    ('TX_AMOUNT', '[0-9]{1,16}([.][0-9]{1,2})?', 'number', 'decimal(18, 2)'),
    ('TX_TIME_SECONDS', integer, 'number', 'bigint'),
    ('TX_TIME_DAYS', integer, 'number', 'bigint'),
] %}
{#- A valid record's fields as one string: a later arrival with another is a conflict. -#}
{%- set fields_text = dbt.concat([
    "cast(tx_datetime as varchar)", "'|'",
    "cast(customer_id as varchar)", "'|'",
    "cast(terminal_id as varchar)", "'|'",
    "cast(tx_amount as varchar)", "'|'",
    "cast(tx_time_seconds as varchar)", "'|'",
    "cast(tx_time_days as varchar)",
]) %}

{#- The streaming view, and the newest _refreshed_at held (none on a first run or a full
    refresh): the cursor. -#}
{%- set view = ref('cust_payment_tx_stream') %}
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
        shard_id,
        sequence_number,
        partition_key,
        approximate_arrival_timestamp,
        refresh_time,
        kinesis_data,
        is_too_large,
        is_utf8,
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

history_ids as (

    -- The new records' ids among the history's: joined whole, the history would be the
    -- join's build side (DuckDB hashed its 1.8M ids every cycle).
    select transaction_id
    from {{ ref('cust_payment_tx_history') }}
    where transaction_id in (select fields_typed.transaction_id_typed from fields_typed)

),

records_validated as (

    select
        fields_typed.*,
        case
            {{ record_checks_rejects(fields, 'fields_typed') }}
            when fields_typed.tx_datetime_typed > {{ dbt.dateadd(
                'second', max_clock_skew_seconds(),
                'fields_typed.approximate_arrival_timestamp') }}
                then 'tx_datetime_in_future'
            when history_ids.transaction_id is not null then 'transaction_id_in_history'
        end as reject_reason
    from fields_typed
    left join history_ids
        on fields_typed.transaction_id_typed = history_ids.transaction_id

),

records_typed as (

    select
        records_validated.shard_id as _shard_id,
        records_validated.sequence_number as _sequence_number,
        records_validated.partition_key as _partition_key,
        records_validated.approximate_arrival_timestamp as _arrived_at,
        {{ ledger_refreshed_at('records_validated.refresh_time', taken) }} as _refreshed_at,
        records_validated.refresh_time as _refresh_started_at,
        records_validated.reject_reason,
        records_validated.kinesis_data,
        {% for key, pattern, json_type, column_type in fields %}
            case
                when records_validated.reject_reason is null
                    then records_validated.{{ key | lower }}_typed
            end as {{ key | lower }}
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from records_validated

),

deliveries_numbered as (

    select
        *,
        {{ fields_text }} as _fields,
        row_number() over (
            partition by transaction_id
            -- Sequence numbers in numeric order: decimal strings without leading zeros
            -- (up to 129 digits), so the shorter is the smaller.
            -- https://docs.aws.amazon.com/redshift/latest/dg/r_LENGTH.html
            order by _arrived_at, _shard_id, length(_sequence_number), _sequence_number
        ) as _arrival
    from records_typed

),

{%- if run_takes_new_rows() %}

    earlier_deliveries as (

        -- The valid arrivals of these transaction ids that earlier runs took, within the
        -- horizon: the first one, its fields, and how many there were.
        select
            transaction_id,
            max(case when _delivery_number = 1 then _shard_id end) as _first_shard_id,
            max(case when _delivery_number = 1 then _sequence_number end)
                as _first_sequence_number,
            max(case when _delivery_number = 1 then _fields end) as _first_fields,
            count(*) as _deliveries_before
        from (
            select
                transaction_id,
                _shard_id,
                _sequence_number,
                _delivery_number,
                {{ fields_text }} as _fields
            from {{ this }} as earlier_records
            where
                earlier_records.reject_reason is null
                and earlier_records._arrived_at > (
                    select {{ dbt.dateadd(
                        'hour', -duplicate_horizon_hours(), 'min(new_records._arrived_at)') }}
                    from records_typed as new_records
                )
                and earlier_records.transaction_id in (
                    select new_records.transaction_id from records_typed as new_records
                )
        ) as earlier
        group by transaction_id
        having max(case when _delivery_number = 1 then _shard_id end) is not null

    ),

{%- else %}

    earlier_deliveries as (

        select
            transaction_id,
            _shard_id as _first_shard_id,
            _sequence_number as _first_sequence_number,
            _fields as _first_fields,
            _arrival as _deliveries_before
        from deliveries_numbered
        where 1 = 0

    ),

{%- endif %}

first_arrivals as (

    -- Per transaction id, the arrival that is kept: an earlier run's, else this run's first.
    select
        transaction_id,
        _first_shard_id,
        _first_sequence_number,
        _first_fields,
        _deliveries_before
    from earlier_deliveries
    union all
    select
        transaction_id,
        _shard_id as _first_shard_id,
        _sequence_number as _first_sequence_number,
        _fields as _first_fields,
        0 as _deliveries_before
    from deliveries_numbered
    where
        reject_reason is null
        and _arrival = 1
        and deliveries_numbered.transaction_id not in (
            select earlier_deliveries.transaction_id from earlier_deliveries
        )

),

duplicates_classified as (

    select
        deliveries_numbered._shard_id,
        deliveries_numbered._sequence_number,
        deliveries_numbered._partition_key,
        deliveries_numbered._arrived_at,
        deliveries_numbered._refreshed_at,
        deliveries_numbered._refresh_started_at,
        deliveries_numbered.transaction_id,
        deliveries_numbered.tx_datetime,
        deliveries_numbered.customer_id,
        deliveries_numbered.terminal_id,
        deliveries_numbered.tx_amount,
        deliveries_numbered.tx_time_seconds,
        deliveries_numbered.tx_time_days,
        deliveries_numbered.kinesis_data,
        deliveries_numbered.reject_reason as _validation_reject_reason,
        first_arrivals._first_shard_id,
        first_arrivals._first_sequence_number,
        deliveries_numbered._fields = first_arrivals._first_fields as _same_fields,
        first_arrivals._deliveries_before + deliveries_numbered._arrival as _arrival
    from deliveries_numbered
    left join first_arrivals
        on deliveries_numbered.transaction_id = first_arrivals.transaction_id

),

records_classified as (

    select
        _shard_id,
        _sequence_number,
        _partition_key,
        _arrived_at,
        _refreshed_at,
        _refresh_started_at,
        transaction_id,
        tx_datetime,
        customer_id,
        terminal_id,
        tx_amount,
        tx_time_seconds,
        tx_time_days,
        case
            when _validation_reject_reason is null and not _same_fields
                then 'conflicting_duplicate'
            else _validation_reject_reason
        end as reject_reason,
        case
            when _validation_reject_reason is null and _same_fields then _arrival
        end as _delivery_number,
        case when _arrival > 1 then _first_shard_id end as _first_shard_id,
        case when _arrival > 1 then _first_sequence_number end as _first_sequence_number,
        case
            when _validation_reject_reason is not null or not _same_fields then kinesis_data
        end as kinesis_data
    from duplicates_classified
    -- Appended in _refreshed_at order, even a large catch-up batch: the next runs' filter on
    -- _refreshed_at then skips all but the newest blocks.
    order by _refreshed_at, _arrived_at, _shard_id, _sequence_number

)

select * from records_classified
