{#- The fraud probability from a model's prediction function (Redshift ML's <function>_prob
    companion, or the local plugin's), given the input expressions in order. -#}
{% macro fraud_probability(function, inputs) %}
    {{ return(adapter.dispatch('fraud_probability', 'fraud_detection')(function, inputs)) }}
{% endmacro %}

{#- Redshift ML: <function>_prob returns SUPER {"probabilities": [...], "labels": [...]};
    take the probability of the label '1', whichever position it has. -#}
{% macro redshift__fraud_probability(function, inputs) -%}
    {%- set result = "json_serialize(" ~ function ~ "_prob(" ~ inputs | join(', ') ~ "))" -%}
    cast(
        case
            when json_extract_array_element_text(json_extract_path_text({{ result }}, 'labels'), 0) = '1'
                then json_extract_array_element_text(json_extract_path_text({{ result }}, 'probabilities'), 0)
            else json_extract_array_element_text(json_extract_path_text({{ result }}, 'probabilities'), 1)
        end as double precision
    )
{%- endmacro %}

{#- DuckDB: the plugin registers <function>_prob returning the probability itself. -#}
{% macro default__fraud_probability(function, inputs) -%}
    {{ function }}_prob({{ inputs | join(', ') }})
{%- endmacro %}
