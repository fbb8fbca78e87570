{#- The record bytes parsed as JSON once, or null when they are not UTF-8 JSON. -#}
{% macro parse_json_payload(data) %}
    {{ return(adapter.dispatch('parse_json_payload', 'fraud_detection')(data)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__parse_json_payload(data) %}
    {{ exceptions.raise_compiler_error("parse_json_payload is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: json_parse errors on bad input, so guard it with can_json_parse (both accept
    VARBYTE, as in AWS's streaming ingestion examples); the result is SUPER. -#}
{% macro redshift__parse_json_payload(data) -%}
    case when can_json_parse({{ data }}) then json_parse({{ data }}) end
{%- endmacro %}

{#- DuckDB: decode() fails on invalid UTF-8 and the json cast on invalid JSON; try() makes
    both a null. -#}
{% macro duckdb__parse_json_payload(data) -%}
    try(cast(decode({{ data }}) as json))
{%- endmacro %}
