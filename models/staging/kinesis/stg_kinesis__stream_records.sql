-- One row per record ingested from the stream: its stream coordinates, the walkthrough's
-- fields typed, why it is rejected (null when valid), and its delivery number (1 for the
-- first arrival of a transaction id; producer retries can deliver a record twice).

{#- Integers fit a bigint: up to 18 digits, or 19 below 9e18. -#}
{#- The largest record whose fields are read: Redshift's json_serialize errors above the
    VARCHAR limit of 65,535 bytes (https://docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html),
    and Kinesis records reach 1 MiB. A larger record is a reject (too_large), on both targets;
    octet_length takes VARBYTE (https://docs.aws.amazon.com/redshift/latest/dg/r_OCTET_LENGTH.html). -#}
{%- set max_record_bytes = 65535 -%}
{%- set integer = '-?([0-9]{1,18}|[1-8][0-9]{18})' -%}
{%- set fields = [
    ('TRANSACTION_ID', integer),
    ('TX_DATETIME', '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?'),
    ('CUSTOMER_ID', integer),
    ('TERMINAL_ID', integer),
    ('TX_AMOUNT', '-?[0-9]{1,16}([.][0-9]+)?'),
    ('TX_TIME_SECONDS', integer),
    ('TX_TIME_DAYS', integer),
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
        {% for key, pattern in fields %}
            case
                when not is_too_large then {{ json_text('payload', key) }}
            end as {{ key | lower }}_text
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from records_sized

),

records_validated as (

    select
        *,
        case
            when is_too_large then 'too_large'
            when not is_utf8 then 'not_utf8'
            when not is_json then 'not_json'
            when not is_object then 'not_a_json_object'
            {% for key, pattern in fields %}
                when {{ key | lower }}_text is null then 'missing_{{ key | lower }}'
                when not {{ matches_pattern(key | lower ~ '_text', pattern) }}
                    then 'invalid_{{ key | lower }}'
            {% endfor %}
        end as reject_reason
    from fields_extracted

),

records_typed as (

    select
        shard_id as _shard_id,
        sequence_number as _sequence_number,
        partition_key as _partition_key,
        approximate_arrival_timestamp as _arrived_at,
        refresh_time as _refreshed_at,
        reject_reason,
        case
            when reject_reason is null then cast(transaction_id_text as bigint)
        end as transaction_id,
        case
            when reject_reason is null then cast(replace(tx_datetime_text, 'T', ' ') as timestamp)
        end as tx_datetime,
        case
            when reject_reason is null then cast(customer_id_text as bigint)
        end as customer_id,
        case
            when reject_reason is null then cast(terminal_id_text as bigint)
        end as terminal_id,
        case
            when reject_reason is null then cast(tx_amount_text as decimal(18, 2))
        end as tx_amount,
        case
            when reject_reason is null then cast(tx_time_seconds_text as bigint)
        end as tx_time_seconds,
        case
            when reject_reason is null then cast(tx_time_days_text as bigint)
        end as tx_time_days
    from records_validated

),

deliveries_numbered as (

    select
        *,
        case
            when reject_reason is null
                then row_number() over (
                    partition by transaction_id
                    order by _arrived_at, _shard_id, lpad(_sequence_number, 64, '0')
                )
        end as _delivery_number
    from records_typed

)

select * from deliveries_numbered
