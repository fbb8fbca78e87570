-- One row per record ingested from the stream: its stream coordinates, the walkthrough's
-- fields typed, why it is rejected (null when valid), and its delivery number (1 for the
-- first arrival of a transaction id; producer retries can deliver a record twice).
--
-- The rules (a record breaking one is a reject, with the first rule it breaks as reason):
-- - too_large: over 65,535 bytes, the most Redshift's json_serialize reads;
-- - not_utf8, not_json, not_a_json_object;
-- - missing_<key> for an absent, null or empty one of the seven keys;
-- - invalid_<key>: the value is not of its JSON type (numbers for the ids, amount and times,
--   a string for TX_DATETIME), or does not cast to its column's type (the cast itself is the
--   check: a date such as 2026-02-30 or an amount over decimal(18, 2) is invalid), or breaks
--   its rule: ids and times are non-negative integers, the amount is non-negative with at
--   most two decimals (the producer emits no refunds);
-- - tx_datetime_in_future: more than the var max_clock_skew_seconds (300) after the record
--   reached the stream;
-- - conflicting_duplicate: a later arrival of a transaction id whose fields differ from the
--   first arrival's (kept: the first; _first_shard_id and _first_sequence_number locate it).

{#- The largest record whose fields are read: Redshift's json_serialize errors above the
    VARCHAR limit of 65,535 bytes (https://docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html),
    and Kinesis records reach 1 MiB. A larger record is a reject (too_large), on both targets;
    octet_length takes VARBYTE (https://docs.aws.amazon.com/redshift/latest/dg/r_OCTET_LENGTH.html). -#}
{%- set max_record_bytes = 65535 -%}
{#- Non-negative integers that fit a bigint: up to 18 digits, or 19 below 9e18. -#}
{%- set integer = '([0-9]{1,18}|[1-8][0-9]{18})' -%}
{%- set datetime = '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?' -%}
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
    from {{ ref('cust_payment_tx_stream') }}

),

records_sized as (

    select
        *,
        octet_length(kinesis_data) > {{ max_record_bytes }} as is_too_large
    from stream

),

fields_extracted as (

    select
        shard_id,
        sequence_number,
        partition_key,
        approximate_arrival_timestamp,
        refresh_time,
        is_too_large,
        {{ is_utf8('kinesis_data') }} as is_utf8,
        payload is not null as is_json,
        {{ json_is_object('payload') }} as is_object,
        {% for key, pattern, json_type, column_type in fields %}
            case
                when not is_too_large then {{ json_text('payload', key) }}
            end as {{ key | lower }}_text,
            case
                when not is_too_large then {{ json_is_string('payload', key) }}
            end as {{ key | lower }}_is_string
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from records_sized

),

fields_typed as (

    select
        *,
        {% for key, pattern, json_type, column_type in fields %}
            {%- set text = key | lower ~ '_text' %}
            {%- set value = text %}
            {%- if column_type == 'timestamp' %}
                {%- set value = "replace(" ~ text ~ ", 'T', ' ')" %}
            {%- endif %}
            case
                when {{ matches_pattern(text, pattern) }}
                    then {{ try_cast(value, column_type) }}
            end as {{ key | lower }}_typed
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from fields_extracted

),

records_validated as (

    select
        *,
        case
            when is_too_large then 'too_large'
            when not is_utf8 then 'not_utf8'
            when not is_json then 'not_json'
            when not is_object then 'not_a_json_object'
            {% for key, pattern, json_type, column_type in fields %}
                when {{ key | lower }}_text is null then 'missing_{{ key | lower }}'
                {%- set is_string = 'true' if json_type == 'string' else 'false' %}
                when
                    coalesce({{ key | lower }}_is_string, false) != {{ is_string }}
                    or {{ key | lower }}_typed is null
                    then 'invalid_{{ key | lower }}'
            {% endfor %}
            when tx_datetime_typed > {{ dbt.dateadd(
                'second', var('max_clock_skew_seconds', 300), 'approximate_arrival_timestamp') }}
                then 'tx_datetime_in_future'
        end as reject_reason
    from fields_typed

),

records_typed as (

    select
        records_validated.shard_id as _shard_id,
        records_validated.sequence_number as _sequence_number,
        records_validated.partition_key as _partition_key,
        records_validated.approximate_arrival_timestamp as _arrived_at,
        records_validated.refresh_time as _refreshed_at,
        records_validated.reject_reason,
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
        {{ dbt.concat([
            "cast(tx_datetime as varchar)", "'|'",
            "cast(customer_id as varchar)", "'|'",
            "cast(terminal_id as varchar)", "'|'",
            "cast(tx_amount as varchar)", "'|'",
            "cast(tx_time_seconds as varchar)", "'|'",
            "cast(tx_time_days as varchar)",
        ]) }} as _fields,
        row_number() over (
            partition by transaction_id
            order by _arrived_at, _shard_id, lpad(_sequence_number, 64, '0')
        ) as _arrival
    from records_typed

),

first_arrivals as (

    select
        transaction_id,
        _shard_id as _first_shard_id,
        _sequence_number as _first_sequence_number,
        _fields as _first_fields
    from deliveries_numbered
    where reject_reason is null and _arrival = 1

),

duplicates_classified as (

    select
        deliveries_numbered._shard_id,
        deliveries_numbered._sequence_number,
        deliveries_numbered._partition_key,
        deliveries_numbered._arrived_at,
        deliveries_numbered._refreshed_at,
        deliveries_numbered.transaction_id,
        deliveries_numbered.tx_datetime,
        deliveries_numbered.customer_id,
        deliveries_numbered.terminal_id,
        deliveries_numbered.tx_amount,
        deliveries_numbered.tx_time_seconds,
        deliveries_numbered.tx_time_days,
        case
            when
                deliveries_numbered.reject_reason is null
                and deliveries_numbered._fields != first_arrivals._first_fields
                then 'conflicting_duplicate'
            else deliveries_numbered.reject_reason
        end as reject_reason,
        case
            when
                deliveries_numbered.reject_reason is null
                and deliveries_numbered._fields = first_arrivals._first_fields
                then deliveries_numbered._arrival
        end as _delivery_number,
        case
            when deliveries_numbered._arrival > 1 then first_arrivals._first_shard_id
        end as _first_shard_id,
        case
            when deliveries_numbered._arrival > 1 then first_arrivals._first_sequence_number
        end as _first_sequence_number
    from deliveries_numbered
    left join first_arrivals
        on deliveries_numbered.transaction_id = first_arrivals.transaction_id

)

select * from duplicates_classified
