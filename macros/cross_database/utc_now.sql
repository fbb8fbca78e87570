{#- Now, in UTC, as a timestamp without time zone (the stream's timestamps are UTC). -#}
{% macro utc_now() %}
    {{ return(adapter.dispatch('utc_now', 'fraud_detection')()) }}
{% endmacro %}

{#- Redshift: GETDATE is in the session's time zone, UTC unless set otherwise
    (https://docs.aws.amazon.com/redshift/latest/dg/r_GETDATE.html). -#}
{% macro default__utc_now() %}getdate(){% endmacro %}

{#- DuckDB: now() is a TIMESTAMPTZ shown in the session's time zone: taken in UTC. -#}
{% macro duckdb__utc_now() %}cast(now() at time zone 'UTC' as timestamp){% endmacro %}
