{#- The state of a Redshift model from SVV_ML_MODEL_INFO, trimmed (its columns are
    char(128)), or none when there is no such model. SVV, not STV: STV tables are for
    provisioned clusters only, and Serverless allows SVV_ML_MODEL_INFO.
    https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_ML_MODEL_INFO.html
    https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-monitoring.html -#}
{% macro ml_model_state_sql(schema, model_name) %}
select trim(model_state) as model_state
from svv_ml_model_info
where trim(schema_name) = '{{ schema }}' and trim(model_name) = '{{ model_name }}'
{% endmacro %}

{% macro ml_model_state(schema, model_name) %}
    {%- set rows = run_query(ml_model_state_sql(schema, model_name)).rows -%}
    {{ return(rows[0][0] if rows else none) }}
{% endmacro %}


{#- Why a model failed, from SHOW MODEL's Key/Value rows: "The reason message for a failed
    model" (the page does not name its key, so any key naming a reason or an error counts).
    https://docs.aws.amazon.com/redshift/latest/dg/r_SHOW_MODEL.html -#}
{% macro ml_model_failure_reason(schema, model_name, model_state) %}
    {%- if model_state is none -%}
        {{ return("the model " ~ schema ~ "." ~ model_name ~ " no longer exists in SVV_ML_MODEL_INFO") }}
    {%- endif -%}
    {%- set reasons = [] -%}
    {%- for row in run_query("show model " ~ schema ~ "." ~ model_name).rows -%}
        {%- set key = (row[0] or '') | string | trim -%}
        {%- if 'reason' in key | lower or 'error' in key | lower -%}
            {%- do reasons.append(key ~ ": " ~ ((row[1] or '') | string | trim)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(reasons | join('; ') if reasons else "state '" ~ model_state ~ "' (SHOW MODEL " ~ schema ~ "." ~ model_name ~ " gives no reason)") }}
{% endmacro %}


{#- Whether a model that is not ready failed. SVV_ML_MODEL_INFO's page shows two states ('Train
    Model On SageMaker In Progress' and 'Model is Ready') and names no failure state, so a
    model not ready is asked of SHOW MODEL, whose Model State is documented: "The status of
    the model, such as READY, TRAINING, or FAILED".
    https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_ML_MODEL_INFO.html
    https://docs.aws.amazon.com/redshift/latest/dg/r_SHOW_MODEL.html -#}
{% macro ml_model_failed(schema, model_name, model_state) %}
    {%- if model_state == 'Model is Ready' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for row in run_query("show model " ~ schema ~ "." ~ model_name).rows -%}
        {%- if (row[0] or '') | string | trim | lower == 'model state' -%}
            {{ return((row[1] or '') | string | trim | upper == 'FAILED') }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{% endmacro %}
