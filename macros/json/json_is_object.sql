{#- True when a parsed JSON payload is an object (not an array or a scalar). -#}
{% macro json_is_object(payload) %}
    {{ return(adapter.dispatch('json_is_object', 'fraud_detection')(payload)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__json_is_object(payload) %}
    {{ exceptions.raise_compiler_error("json_is_object is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: is_object() tests a SUPER value. -#}
{% macro redshift__json_is_object(payload) -%}
    is_object({{ payload }})
{%- endmacro %}

{#- DuckDB: json_type() names the top-level type. -#}
{% macro duckdb__json_is_object(payload) -%}
    (json_type({{ payload }}) = 'OBJECT')
{%- endmacro %}
