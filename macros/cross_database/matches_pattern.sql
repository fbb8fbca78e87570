{#- True when the whole text matches a POSIX-style regular expression. -#}
{% macro matches_pattern(text, pattern) %}
    {{ return(adapter.dispatch('matches_pattern', 'fraud_detection')(text, pattern)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__matches_pattern(text, pattern) %}
    {{ exceptions.raise_compiler_error("matches_pattern is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: the ~ operator, anchored (POSIX regular expressions). -#}
{% macro redshift__matches_pattern(text, pattern) -%}
    ({{ text }} ~ '^{{ pattern }}$')
{%- endmacro %}

{#- DuckDB: regexp_full_match anchors the pattern itself (RE2 syntax). -#}
{% macro duckdb__matches_pattern(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}
