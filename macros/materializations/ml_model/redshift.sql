{#- ml_model on Redshift: see default.sql for what it does on every adapter. -#}

{% materialization ml_model, adapter='redshift' %}
    {%- set settings = ml_model_settings() -%}
    {%- set state = definition_state_relation(this) -%}
    {%- set fingerprint = ml_model_fingerprint(sql, settings) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% call statement('create_state', auto_begin=False) %}
        {{ definition_state_create_sql(state) }}
    {% endcall %}
    {%- set stored = definition_state_stored(state, this) -%}
    {%- if stored[0] == fingerprint and not ml_model_retrain_requested() -%}
        {{ log(model.name ~ ": the model is current (training SQL and options unchanged)", info=true) }}
        {{ return({'relations': []}) }}
    {%- endif -%}

    {%- for statement_sql in redshift__ml_model_train_statements(this, settings, sql) %}
        {% call statement('main' if loop.last else 'train_' ~ loop.index, auto_begin=False) %}
            {{ statement_sql }}
        {% endcall %}
    {%- endfor %}
    {{ redshift__ml_model_wait(this, settings) }}
    {% call statement('record_state', auto_begin=False) %}
        {{ definition_state_forget_sql(state, this) }};
        {{ definition_state_record_sql(state, this, fingerprint, false) }}
    {% endcall %}

    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': []}) }}
{% endmaterialization %}


{#- DROP MODEL then CREATE MODEL: what a (re)training issues, in order. -#}
{% macro redshift__ml_model_train_statements(relation, settings, sql) %}
    {{ return([
        "drop model if exists " ~ relation.schema ~ "." ~ relation.identifier,
        redshift__create_model_sql(relation, settings, sql),
    ]) }}
{% endmacro %}


{% macro redshift__create_model_sql(relation, settings, sql) -%}
    {%- set iam_role = "default" if settings.iam_role == "default" else "'" ~ settings.iam_role ~ "'" -%}
create model {{ relation.schema }}.{{ relation.identifier }}
from (
    select {{ (settings.features + [settings.target]) | join(', ') }}
    from (
{{ sql }}
    ) as training_set
)
target {{ settings.target }}
function {{ settings.function }}
iam_role {{ iam_role }}
{%- if not settings.auto %}
auto off
{%- endif %}
{%- if settings.model_type %}
model_type {{ settings.model_type }}
{%- endif %}
{%- if settings.problem_type %}
problem_type {{ settings.problem_type }}
{%- endif %}
{%- if settings.objective %}
objective '{{ settings.objective }}'
{%- endif %}
{%- if settings.preprocessors %}
preprocessors '{{ tojson(settings.preprocessors) }}'
{%- endif %}
{%- if settings.hyperparameters %}
hyperparameters default except (
    {%- for key, value in settings.hyperparameters.items() %}
    {{ key }} '{{ value }}'{{ "," if not loop.last }}
    {%- endfor %}
)
{%- endif %}
settings (
    s3_bucket '{{ settings.s3_bucket }}'
    {%- if settings.s3_garbage_collect is not none %},
    s3_garbage_collect {{ "on" if settings.s3_garbage_collect else "off" }}
    {%- endif %}
    {%- if settings.max_cells %},
    max_cells {{ settings.max_cells }}
    {%- endif %}
    {%- if settings.max_runtime %},
    max_runtime {{ settings.max_runtime }}
    {%- endif %}
    {%- if settings.kms_key_id %},
    kms_key_id '{{ settings.kms_key_id }}'
    {%- endif %}
)
{%- endmacro %}


{#- The state of a model as Redshift ML reports it (e.g. 'Training', 'Model is Ready',
    'Failed'), with the failure reason when there is one. -#}
{% macro redshift__ml_model_state_sql(relation) %}
select model_state, coalesce(failure_reason, '') as failure_reason
from stv_ml_model_info
where schema_name = '{{ relation.schema }}' and model_name = '{{ relation.identifier }}'
{% endmacro %}


{#- Poll the model state until it is ready, failed, or settings.wait_timeout_seconds passed.
    Between polls the warehouse does the waiting (see redshift__ml_model_pause_sql), since
    dbt's Jinja cannot sleep. -#}
{% macro redshift__ml_model_wait(relation, settings) %}
    {%- set started = modules.datetime.datetime.now() -%}
    {%- for poll in range(100000) -%}
        {%- set rows = run_query(redshift__ml_model_state_sql(relation)).rows -%}
        {%- set model_state = rows[0][0] if rows else 'Unknown' -%}
        {%- if model_state == 'Model is Ready' -%}
            {{ log(relation.identifier ~ ": model is ready", info=true) }}
            {{ return(true) }}
        {%- elif model_state == 'Failed' -%}
            {{ exceptions.raise_compiler_error(relation.identifier ~ ": training failed: " ~ rows[0][1]) }}
        {%- endif -%}
        {%- set waited = (modules.datetime.datetime.now() - started).total_seconds() -%}
        {%- if waited > settings.wait_timeout_seconds -%}
            {{ exceptions.raise_compiler_error(
                relation.identifier ~ ": still '" ~ model_state ~ "' after " ~ waited | int ~ " s;"
                ~ " training goes on in Redshift: check it with dbt run-operation show_model") }}
        {%- endif -%}
        {{ log(relation.identifier ~ ": " ~ model_state ~ " (" ~ waited | int ~ " s)", info=(poll % 6 == 0)) }}
        {%- do run_query(redshift__ml_model_pause_sql(settings.poll_seconds)) -%}
    {%- endfor -%}
{% endmacro %}


{#- A leader-node query that takes roughly ``seconds`` (a few million rows of
    generate_series a second), for the pause between polls: Redshift has no sleep function
    and dbt's Jinja cannot sleep. The timeout itself is measured on the clock. -#}
{% macro redshift__ml_model_pause_sql(seconds) %}
select count(*) from generate_series(1, {{ (seconds * 3000000) | int }})
{% endmacro %}
