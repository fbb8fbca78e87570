{#- The value of a top-level key of a JSON payload as text (null when missing or null).
    Keys are case-sensitive, as the stream's are upper case. -#}
{% macro json_text(payload, key) %}
    {{ return(adapter.dispatch('json_text', 'fraud_detection')(payload, key)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__json_text(payload, key) %}
    {{ exceptions.raise_compiler_error("json_text is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: SUPER navigation (payload."KEY") depends on each session's
    enable_case_sensitive_identifier; json_extract_path_text on the serialized payload does
    not. Its null_if_invalid flag returns null instead of failing; missing keys give ''. -#}
{% macro redshift__json_text(payload, key) -%}
    nullif(json_extract_path_text(json_serialize({{ payload }}), '{{ key }}', true), '')
{%- endmacro %}

{#- DuckDB: json_extract_string gives strings unquoted and numbers as written. -#}
{% macro duckdb__json_text(payload, key) -%}
    json_extract_string({{ payload }}, '$."{{ key }}"')
{%- endmacro %}
