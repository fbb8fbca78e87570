{#- A top-level number of a record as written in its bytes ``data``, digit for digit (null
    when the key is missing or null; a string's text when it holds a string, which the
    field's checks refuse). A parser may read numbers as binary doubles (DuckDB does:
    90071992547409.93 comes back as ...94), so a decimal column is cast from the written
    digits on both targets. In valid JSON, "KEY" followed by a colon is always a key; when it
    occurs more than once (a nested object with the same key) the top-level one is not known
    from the text, and the value is refused ('ambiguous' matches no number's rule). -#}
{% macro json_number_text(data, payload, key) %}
    {{ return(adapter.dispatch('json_number_text', 'fraud_detection')(data, payload, key)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__json_number_text(data, payload, key) %}
    {{ exceptions.raise_compiler_error("json_number_text is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: the text from FROM_VARBYTE (https://docs.aws.amazon.com/redshift/latest/dg/r_FROM_VARBYTE.html),
    counted with REGEXP_COUNT (https://docs.aws.amazon.com/redshift/latest/dg/REGEXP_COUNT.html)
    and the digits taken with REGEXP_SUBSTR's 'e' parameter, "extract a substring using a
    subexpression" (https://docs.aws.amazon.com/redshift/latest/dg/REGEXP_SUBSTR.html). -#}
{% macro redshift__json_number_text(data, payload, key) -%}
    {%- set text = 'from_varbyte(' ~ data ~ ", 'utf8')" -%}
    case
        when {{ payload }} is null then null
        when regexp_count({{ text }}, '"{{ key }}"[[:space:]]*:') > 1 then 'ambiguous'
        when {{ text }} ~ '"{{ key }}"[[:space:]]*:[[:space:]]*-?[0-9]'
            then regexp_substr({{ text }}, '"{{ key }}"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'e')
        else {{ redshift__json_text(payload, key) }}
    end
{%- endmacro %}

{#- DuckDB: a JSON value keeps the record's text as received. -#}
{% macro duckdb__json_number_text(data, payload, key) -%}
    case
        when {{ payload }} is null then null
        when len(regexp_extract_all({{ payload }}, '"{{ key }}"\s*:')) > 1 then 'ambiguous'
        when regexp_matches({{ payload }}, '"{{ key }}"\s*:\s*-?[0-9]')
            then regexp_extract({{ payload }}, '"{{ key }}"\s*:\s*(-?[0-9][0-9.eE+-]*)', 1)
        else {{ duckdb__json_text(payload, key) }}
    end
{%- endmacro %}
