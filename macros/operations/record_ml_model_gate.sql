{#- Records the gate's decision on a Redshift version held at 'gating' (see the ml_model
    materialization): serving, and the version it replaces retiring (dropped once the
    predictions call the new one), or refused (the serving version goes on); with both
    versions' figures on the gate week and the reason. Called by `python -m fraud_detection
    wait-model` (fraud_detection.refresh.model_wait), which measured both, as
    `dbt run-operation record_ml_model_gate --args '{model_name: ..., version: N, decision:
    {...}}'`, in one transaction. UPDATE: https://docs.aws.amazon.com/redshift/latest/dg/r_UPDATE.html -#}
{% macro record_ml_model_gate(model_name, version, decision) %}
    {%- set model_name = checked_var('model_name', model_name, '[a-z_][a-z0-9_]*', 'a model name') %}
    {%- set version = checked_var('version', version, '[0-9]{1,9}', 'a version number') %}
    {%- set versions = ml_model_versions_relation(ref(model_name)) %}
    {%- set challenger = decision.get('challenger') or {} %}
    {%- set serving = decision.get('serving') or {} %}
    {%- set serving_versions = ml_model_versions(versions, model_name)
        | selectattr('status', 'equalto', 'serving') | map(attribute='version') | list %}
    {%- for replaced in serving_versions if decision.get('serve') %}
        {%- call statement('retire_' ~ replaced, auto_begin=True) %}
            {{ ml_model_version_status_sql(versions, model_name, replaced, 'retiring') }}
        {%- endcall %}
    {%- endfor %}
    {%- call statement('record_gate', auto_begin=True) %}
        update {{ versions }}
        set
            status = '{{ "serving" if decision.get("serve") else "refused" }}',
            reason = {{ sql_literal(decision.get('reason')) }},
            average_precision = {{ sql_literal(challenger.get('average_precision')) }},
            card_precision_at_100 = {{ sql_literal(challenger.get('card_precision_at_100')) }},
            serving_version = {{ sql_literal(decision.get('serving_version')) }},
            serving_average_precision = {{ sql_literal(serving.get('average_precision')) }},
            serving_card_precision_at_100 = {{ sql_literal(serving.get('card_precision_at_100')) }}
        where model_name = '{{ model_name }}' and version = {{ version }} and status = 'gating'
    {%- endcall %}
    {%- do adapter.commit() %}
{% endmacro %}
