{#- The value of a top-level key of a JSON payload as text (null when missing or null).
    Keys are case-sensitive, as the stream's are upper case. -#}
{% macro json_text(payload, key) %}
    {{ return(adapter.dispatch('json_text', 'fraud_detection')(payload, key)) }}
{% endmacro %}

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


{#- True when a parsed JSON payload is an object (not an array or a scalar). -#}
{% macro json_is_object(payload) %}
    {{ return(adapter.dispatch('json_is_object', 'fraud_detection')(payload)) }}
{% endmacro %}

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


{#- True when the raw record bytes are valid UTF-8. -#}
{% macro is_utf8(data) %}
    {{ return(adapter.dispatch('is_utf8', 'fraud_detection')(data)) }}
{% endmacro %}

{% macro default__is_utf8(data) %}
    {{ exceptions.raise_compiler_error("is_utf8 is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: is_utf8() on VARBYTE, as in AWS's streaming ingestion examples. -#}
{% macro redshift__is_utf8(data) -%}
    is_utf8({{ data }})
{%- endmacro %}

{#- DuckDB: decode() fails on invalid UTF-8; try() turns that into null. -#}
{% macro duckdb__is_utf8(data) -%}
    (try(decode({{ data }})) is not null)
{%- endmacro %}


{#- True when the whole text matches a POSIX-style regular expression. -#}
{% macro matches_pattern(text, pattern) %}
    {{ return(adapter.dispatch('matches_pattern', 'fraud_detection')(text, pattern)) }}
{% endmacro %}

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
