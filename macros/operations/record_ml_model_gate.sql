{#- Records the gate's decision on a Redshift version held at 'gating' (see the ml_model
    materialization) with ml_model_version_gate_sql, the statements the local target runs
    too: serving, and the version it replaces retiring (dropped once the predictions call
    the new one), or refused (the serving version goes on). Called by `python -m
    fraud_detection wait-model` (fraud_detection.refresh.model_wait), which measured both, as
    `dbt run-operation record_ml_model_gate --args '{model_name: ..., version: N, decision:
    {...}}'`, in one transaction. -#}
{% macro record_ml_model_gate(model_name, version, decision) %}
    {%- set model_name = checked_argument('model_name', model_name, '[a-z_][a-z0-9_]*', 'a model name') %}
    {%- set version = checked_argument('version', version, '[0-9]{1,9}', 'a version number') %}
    {%- set versions = ml_model_versions_relation(ref(model_name)) %}
    {%- call statement('record_gate', auto_begin=True) %}
        {{ ml_model_version_gate_sql(versions, model_name, version, decision, 'retiring') }}
    {%- endcall %}
    {%- do adapter.commit() %}
{% endmacro %}
