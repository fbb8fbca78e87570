{#- True when the raw record bytes are valid UTF-8. -#}
{% macro is_utf8(data) %}
    {{ return(adapter.dispatch('is_utf8', 'fraud_detection')(data)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__is_utf8(data) %}
    {{ exceptions.raise_compiler_error("is_utf8 is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: is_utf8() on VARBYTE. It is not in the SQL function reference, but AWS's own
    streaming ingestion workshop filters records with it (aws-samples/
    amazon-redshift-streaming-workshop, create_mv.sql: WHERE is_utf8(Data) AND ...). -#}
{% macro redshift__is_utf8(data) -%}
    is_utf8({{ data }})
{%- endmacro %}

{#- DuckDB: decode() fails on invalid UTF-8; try() turns that into null. -#}
{% macro duckdb__is_utf8(data) -%}
    (try(decode({{ data }})) is not null)
{%- endmacro %}
