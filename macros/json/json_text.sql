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


{#- True when a top-level key of a JSON payload holds a string (not a number, a boolean...). -#}
{% macro json_is_string(payload, key) %}
    {{ return(adapter.dispatch('json_is_string', 'fraud_detection')(payload, key)) }}
{% endmacro %}

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


{#- A cast that gives null instead of failing: the check that a value fits its type. -#}
{% macro try_cast(expression, type) %}
    {{ return(adapter.dispatch('try_cast', 'fraud_detection')(expression, type)) }}
{% endmacro %}

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
