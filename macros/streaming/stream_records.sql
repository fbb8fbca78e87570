{#- The stream as a relation, with Redshift's stream columns, for the model's FROM clause. -#}
{% macro stream_records(stream) %}
    {{ return(adapter.dispatch('stream_records', 'fraud_detection')(stream)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__stream_records(stream) %}
    {{ exceptions.raise_compiler_error("stream_records is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: the stream is a relation of the external schema (the source), its name quoted
    as in AWS's examples: custpaytxn."cust-payment-txn-stream". -#}
{% macro redshift__stream_records(stream) %}
    {{- stream.include(database=false) -}}
{%- endmacro %}

{#- DuckDB: the plugin's kinesis_records() reads the local stream after the sequence numbers
    in the session variable kinesis_positions (set by the materialization from the rows it
    already holds; unset means from the start). The endpoint is the plugin's connection
    setting (profiles.yml), not part of the SQL: the compiled SQL stays the same from run to
    run and from port to port, so its fingerprint does too. -#}
{% macro duckdb__stream_records(stream) %}
    {%- set settings = streaming_view_settings() -%}
    {%- if execute and settings.source_kind != 'kinesis' -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": the local target reads Kinesis (kinesalite) only; source_kind is " ~ settings.source_kind) }}
    {%- endif -%}
    (
        select unnest(
            kinesis_records(
                '{{ settings.stream_name }}',
                getvariable('kinesis_positions')
            ),
            recursive := true
        )
    ) as stream_records
{%- endmacro %}


{#- The stream relation's metadata columns under the Kinesis names (MSK's are mapped).
    On MSK, kafka_timestamp is the broker's clock only when kafka_timestamp_type is 'L'
    (LOG_APPEND_TIME); 'C' is the producer's CREATE_TIME, 'U' none
    (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started-MSK.html).
    The arrival time feeds the clock-skew check and the trim, which must not trust the
    producer's clock: for 'C' and 'U' the refresh's start (refresh_time, Redshift's clock, at
    or after the arrival) stands for it. -#}
{% macro stream_metadata_columns() %}
    {%- if streaming_view_settings().source_kind == 'msk' -%}
    case when kafka_timestamp_type = 'L' then kafka_timestamp else refresh_time end
        as approximate_arrival_timestamp,
    from_varbyte(kafka_key, 'utf-8') as partition_key,
    kafka_partition::varchar as shard_id,
    kafka_offset::varchar as sequence_number,
    refresh_time
    {%- else -%}
    approximate_arrival_timestamp,
    partition_key,
    shard_id,
    sequence_number,
    refresh_time
    {%- endif -%}
{%- endmacro %}


{#- The raw record bytes: kinesis_data (Kinesis) or kafka_value (MSK). -#}
{% macro stream_data_column() %}
    {{- 'kafka_value' if streaming_view_settings().source_kind == 'msk' else 'kinesis_data' -}}
{% endmacro %}
