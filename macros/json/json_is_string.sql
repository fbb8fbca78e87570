{#- True when a top-level key of a JSON payload holds a string (not a number, a boolean...). -#}
{% macro json_is_string(payload, key) %}
    {{ return(adapter.dispatch('json_is_string', 'fraud_detection')(payload, key)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__json_is_string(payload, key) %}
    {{ exceptions.raise_compiler_error("json_is_string is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: the serialized payload shows the key followed by a quote (json_serialize
    writes compact JSON; the pattern allows spaces). SUPER's JSON_TYPEOF would need the key
    navigated, which depends on the session's enable_case_sensitive_identifier.
    https://docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html -#}
{% macro redshift__json_is_string(payload, key) -%}
    (json_serialize({{ payload }}) ~ '"{{ key }}"[ ]*:[ ]*"')
{%- endmacro %}

{#- DuckDB: json_type() names the value's type at the path. -#}
{% macro duckdb__json_is_string(payload, key) -%}
    (json_type({{ payload }}, '$."{{ key }}"') = 'VARCHAR')
{%- endmacro %}
