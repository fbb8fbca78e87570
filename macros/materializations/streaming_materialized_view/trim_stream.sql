{#- Keeps the streaming view from growing forever: removes the records older than the
    stream's retention (var stream_retention_hours, 24 by default, Kinesis' default) that
    the ledger (stg_kinesis__stream_records) has already taken, so that only records the
    stream itself no longer holds go, and only once consumed. The records of the last var
    refresh_lookback_minutes before the newest the ledger took stay: a refresh that commits
    late may still add some there (ledger_records_not_taken). -#}
{% macro trim_stream_sql(stream, ledger) %}
    {%- set hours = project_var('stream_retention_hours', 24) %}
    delete from {{ stream }}
    where
        approximate_arrival_timestamp
        < {{ dbt.dateadd('second', -((hours | float) * 3600) | int, utc_now()) }}
        and refresh_time <= {{ refresh_lookback_start(newest_refresh_taken(ledger)) }}
{% endmacro %}


{#- The trim as the ledger's post-hook: run in the transaction that added the records to the
    ledger, so a kill before it commits undoes both. -#}
{% macro trim_stream(stream, ledger) %}
    {{ return(adapter.dispatch('trim_stream', 'fraud_detection')(stream, ledger)) }}
{% endmacro %}

{#- Redshift: nothing in the refresh cycle. A DELETE on the streaming view there competes with
    its auto refresh, so it runs on its own schedule: `dbt run-operation trim_streaming_view`
    (docs/deploy.md, "Keeping the streaming view bounded"). -#}
{% macro default__trim_stream(stream, ledger) %}{% endmacro %}

{#- DuckDB: the view is a table the plugin appends to, in arrival order, so the arrival
    filter skips most row groups by their zone maps. -#}
{% macro duckdb__trim_stream(stream, ledger) %}
    {{ trim_stream_sql(stream, ledger) }}
{% endmacro %}


{#- The trim as an operation, on either target: `dbt run-operation trim_streaming_view`.
    Redshift's DELETE takes a materialized view's name, for streaming ingestion views:
    DELETE [ FROM ] { table_name | materialized_view_name } ... [ WHERE condition ]
    (https://docs.aws.amazon.com/redshift/latest/dg/r_DELETE.html). The deleted rows' space
    is reclaimed by the automatic VACUUM DELETE
    (https://docs.aws.amazon.com/redshift/latest/dg/r_VACUUM_command.html). -#}
{% macro trim_streaming_view() %}
    {%- call statement('trim_streaming_view', auto_begin=True) %}
        {{ trim_stream_sql(ref('cust_payment_tx_stream'), ref('stg_kinesis__stream_records')) }}
    {%- endcall %}
    {%- do adapter.commit() %}
    {{ log("trimmed " ~ ref('cust_payment_tx_stream') ~ " to the var stream_retention_hours", info=true) }}
{% endmacro %}
