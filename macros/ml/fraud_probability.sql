{#- The fraud probability (of the label 1), corrected to the true base rate.
    probabilities: a column holding what a model's <function>_probabilities returned for the
    row: {"probabilities": [...], "labels": [...]}, both sorted by probability, highest first,
    so the label 1 may come first or second.
    https://docs.aws.amazon.com/redshift/latest/dg/getting-started-machine-learning.html#probability_metrics
    AUTO OFF has no probability function: pass none, and the prediction function's output as
    output. What that function returns is not documented; with OBJECTIVE 'binary:logistic'
    XGBoost outputs the probability of the label 1, and a 0/1 label reads as 0 or 1 (the
    local plugin's function returns the label), so either way it is read as a probability.
    https://docs.aws.amazon.com/redshift/latest/dg/r_create_model_use_cases.html
    genuine_sample_rate (SQL, or a number): the share of genuine rows the model trained on
    (ml_model_training_sample). A model trained on every fraud and a share r of the genuine
    rows sees the odds of fraud multiplied by 1 / r; the prior correction p r / (p r + 1 - p)
    gives back the probability at the true base rate. -#}
{% macro fraud_probability(probabilities, genuine_sample_rate=1, output=none) %}
    {%- if probabilities is not none -%}
        {%- set probability = adapter.dispatch('fraud_probability', 'fraud_detection')(probabilities) -%}
    {%- elif output is not none -%}
        {%- set probability = 'cast(' ~ output ~ ' as ' ~ dbt.type_float() ~ ')' -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("fraud_probability needs probabilities or the AUTO OFF function's output") }}
    {%- endif -%}
    {%- if genuine_sample_rate is number and genuine_sample_rate == 1 -%}
        {{ return(probability) }}
    {%- endif -%}
    {%- set rate = 'coalesce(' ~ genuine_sample_rate ~ ', 1.0)' -%}
    {{ return('(' ~ probability ~ ') * ' ~ rate ~ ' / ((' ~ probability ~ ') * ' ~ rate
        ~ ' + 1 - (' ~ probability ~ '))') }}
{% endmacro %}


{#- fraud_prediction: 1 for a fraud, 0 for a genuine transaction, null when the model gave no
    verdict (a null input), from the model function's label (label, SQL) or the corrected
    probability (probability, SQL). AUTO OFF (auto false): the function's output is a score,
    never assumed 0/1, so the verdict is the corrected probability at 0.5, the likelier class
    at the true base rate (a 0/1 label gives itself back). AUTO ON: locally the function's
    threshold was tuned for the true base rate (training weighs each sampled genuine row by
    1 / rate): its label stands. -#}
{% macro fraud_prediction(label, probability, genuine_sample_rate=1, auto=true) %}
    {%- if not auto -%}
        {{ return('case when ' ~ probability ~ ' >= 0.5 then 1 when ' ~ probability ~ ' < 0.5 then 0 end') }}
    {%- endif -%}
    {{ return(adapter.dispatch('fraud_prediction', 'fraud_detection')(label, probability, genuine_sample_rate)) }}
{% endmacro %}

{#- DuckDB and others: the function's label (its threshold tuned for the true base rate). -#}
{% macro default__fraud_prediction(label, probability, genuine_sample_rate) %}
    {{ return(label) }}
{% endmacro %}

{#- Redshift AUTO ON: the function's label is the likelier class on the data the model
    trained on (the first of its _probabilities' labels, highest first). Trained on a sample
    of the genuine rows, that favours fraud by 1 / rate: the label is then the likelier class
    at the true base rate, the corrected probability at 0.5. -#}
{% macro redshift__fraud_prediction(label, probability, genuine_sample_rate) %}
    {%- if genuine_sample_rate is number and genuine_sample_rate >= 1 -%}
        {{ return(label) }}
    {%- endif -%}
    {{ return('case when ' ~ probability ~ ' >= 0.5 then 1 else 0 end') }}
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
