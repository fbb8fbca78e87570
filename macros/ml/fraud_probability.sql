{#- The fraud probability (of the label 1) from a column holding what a model's
    <function>_probabilities returned for the row: {"probabilities": [...], "labels": [...]},
    both sorted by probability, highest first, so the label 1 may come first or second.
    https://docs.aws.amazon.com/redshift/latest/dg/getting-started-machine-learning.html#probability_metrics
    Null when the model has no probability function (AUTO OFF): pass none. -#}
{% macro fraud_probability(probabilities) %}
    {%- if probabilities is none -%}
        {{ return('cast(null as ' ~ dbt.type_float() ~ ')') }}
    {%- endif -%}
    {{ return(adapter.dispatch('fraud_probability', 'fraud_detection')(probabilities)) }}
{% endmacro %}

{#- Raises a compiler error on adapters other than Redshift and DuckDB. -#}
{% macro default__fraud_probability(probabilities) %}
    {{ exceptions.raise_compiler_error("fraud_probability is not implemented for " ~ target.type) }}
{% endmacro %}

{#- Redshift: the SUPER value serialized once per use and read with the JSON functions, which
    do not depend on the session's enable_case_sensitive_identifier. -#}
{% macro redshift__fraud_probability(probabilities) -%}
    {%- set result = "json_serialize(" ~ probabilities ~ ")" -%}
    cast(
        case
            when json_extract_array_element_text(json_extract_path_text({{ result }}, 'labels'), 0) = '1'
                then json_extract_array_element_text(json_extract_path_text({{ result }}, 'probabilities'), 0)
            else json_extract_array_element_text(json_extract_path_text({{ result }}, 'probabilities'), 1)
        end as double precision
    )
{%- endmacro %}

{#- DuckDB: the plugin's <function>_probabilities returns the same shape as a STRUCT of two
    lists (1-based). -#}
{% macro duckdb__fraud_probability(probabilities) -%}
    case
        when {{ probabilities }}.labels[1] = '1' then {{ probabilities }}.probabilities[1]
        else {{ probabilities }}.probabilities[2]
    end
{%- endmacro %}
