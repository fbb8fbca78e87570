{#- True when a parsed record is JSON as Redshift's JSON_PARSE takes it: standard JSON (RFC
    8259: no trailing comma, no NaN or Infinity) and no key twice in its object. DuckDB's
    parser accepts all three; a record one target takes and the other refuses would make the
    two disagree on what is rejected. -#}
{% macro json_is_standard(payload) %}
    {{ return(adapter.dispatch('json_is_standard', 'fraud_detection')(payload)) }}
{% endmacro %}

{#- The default: raises, naming the adapter that has no implementation. -#}
{% macro default__json_is_standard(payload) %}
    {{ exceptions.raise_compiler_error("json_is_standard is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: CAN_JSON_PARSE, which guards JSON_PARSE, already refuses a key named twice (see
    json_names_a_key_twice); trailing commas, NaN and Infinity its pages do not mention
    (docs/deploy.md lists this as checked against the documentation only). -#}
{% macro redshift__json_is_standard(payload) -%}
    true
{%- endmacro %}

{#- DuckDB: the JSON value keeps the record's text. With every string literal emptied, a
    comma before a closing bracket or a bare NaN or Infinity can only be the extensions;
    json_keys() lists the top-level keys as written, repeats included. -#}
{% macro duckdb__json_is_standard(payload) -%}
    (
        not regexp_matches(
            regexp_replace({{ payload }}, '"(\\.|[^"\\])*"', '""', 'g'), ',\s*[}\]]|NaN|Infinity'
        )
        and len(json_keys({{ payload }})) = len(list_distinct(json_keys({{ payload }})))
    )
{%- endmacro %}
