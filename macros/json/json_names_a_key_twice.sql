{#- True when a record's bytes ``data`` name one of ``keys`` twice as an object's key. Which
    value counts would be a parser's choice (DuckDB keeps the first; Redshift's JSON_PARSE
    refuses the record: "The same attribute name cannot appear in the same object",
    https://docs.aws.amazon.com/redshift/latest/dg/super-configurations.html#parsing-options-super),
    so such a record is a reject, duplicate_key, read from the text the same way on both
    targets, before the JSON parse that would fail on one of them. -#}
{% macro json_names_a_key_twice(data, keys) %}
    {{ return(adapter.dispatch('json_names_a_key_twice', 'fraud_detection')(data, keys)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__json_names_a_key_twice(data, keys) %}
    {{ exceptions.raise_compiler_error("json_names_a_key_twice is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: REGEXP_COUNT on FROM_VARBYTE's text (both cited in json_number_text). -#}
{% macro redshift__json_names_a_key_twice(data, keys) -%}
    (
        {%- for key in keys %}
        regexp_count(from_varbyte({{ data }}, 'utf8'), '"{{ key }}"[[:space:]]*:') > 1
        {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{#- DuckDB: regexp_extract_all on the decoded text (null when it is not UTF-8). -#}
{% macro duckdb__json_names_a_key_twice(data, keys) -%}
    (
        {%- for key in keys %}
        len(regexp_extract_all(try(decode({{ data }})), '"{{ key }}"\s*:')) > 1
        {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
