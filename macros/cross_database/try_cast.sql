{#- A cast that gives null instead of failing: the check that a value fits its type. -#}
{% macro try_cast(expression, type) %}
    {{ return(adapter.dispatch('try_cast', 'fraud_detection')(expression, type)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__try_cast(expression, type) %}
    {{ exceptions.raise_compiler_error("try_cast is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: TRY_CAST from VARCHAR to the numeric, timestamp and date types (never given an
    empty string: callers check the value's pattern first).
    https://docs.aws.amazon.com/redshift/latest/dg/r_TRY_CAST.html -#}
{% macro redshift__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{#- DuckDB: TRY_CAST. -#}
{% macro duckdb__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}
