{#- A post-hook of the model that calls the serving functions: drop the versions it replaced,
    now that nothing of ours calls them. -#}
{% macro drop_retired_ml_models(model_name) %}
    {{ return(adapter.dispatch('drop_retired_ml_models', 'fraud_detection')(model_name)) }}
{% endmacro %}

{#- Locally nothing to drop (the plugin swaps artifacts in place). -#}
{% macro default__drop_retired_ml_models(model_name) %}
    select 1 as nothing_to_retire
{% endmacro %}

{#- Redshift: DROP MODEL IF EXISTS for each retiring version, then records it retired. -#}
{% macro redshift__drop_retired_ml_models(model_name) %}
    {%- if not execute -%}
        {{ return('select 1 as nothing_to_retire') }}
    {%- endif -%}
    {%- set versions = ml_model_versions_relation(ref(model_name)) -%}
    {%- for version in ml_model_versions(versions, model_name) if version.status == 'retiring' -%}
        {#- DROP MODEL commits at once: outside any transaction (auto_begin=False). -#}
        {% call statement('drop_retired_model', auto_begin=False) %}
            drop model if exists {{ versions.schema }}.{{ version.redshift_model }}
        {% endcall %}
        {% call statement('record_retired_model', auto_begin=False) %}
            {{ ml_model_version_status_sql(versions, model_name, version.version, 'retired') }}
        {% endcall %}
        {%- do log(model_name ~ ": dropped " ~ version.redshift_model ~ ", which the predictions no longer call", info=true) -%}
    {%- endfor -%}
    select 1 as retired
{% endmacro %}
