{#-
    ml_model: a model whose SQL is the training SELECT, trained in the warehouse.
    - Redshift: CREATE MODEL ... FUNCTION <function> with the configured AUTO, MODEL_TYPE,
      PROBLEM_TYPE, OBJECTIVE, PREPROCESSORS, HYPERPARAMETERS and SETTINGS, then polling
      STV_ML_MODEL_INFO until the model is ready (or failed, or the timeout passed).
    - DuckDB: the same SELECT is materialized as <model>__training, trained in-process by the
      plugin (candidate learners, time-ordered validation, tuned threshold), and served as
      the same function; the model relation is its SHOW MODEL table.
    Both retrain only when the training SQL, the options (or, locally, the training data)
    changed since the model in place was trained, or when the var retrain_models names the
    model (or is true); otherwise the run says the model is current. Retraining drops the
    old model first, outside any transaction.
    Options live in the model's meta (see ml_model_settings).
-#}

{% materialization ml_model, default %}
    {{ exceptions.raise_compiler_error("ml_model is not implemented for " ~ target.type) }}
{% endmaterialization %}


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


{% materialization ml_model, adapter='duckdb' %}
    {%- set settings = ml_model_settings() -%}
    {%- set show_model = this.incorporate(type='table') -%}
    {%- set training = api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__training', type='table') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% call statement('training_data') %}
        create or replace table {{ training }} as
        {{ sql }}
    {% endcall %}
    {#- The plugin reads the training data through its own cursor: it must be committed. -#}
    {{ adapter.commit() }}
    {%- set data_fingerprint = run_query(
        "select count(*), sum(" ~ settings.target ~ "), min(" ~ settings.time_column ~ "),"
        ~ " max(" ~ settings.time_column ~ "), sum(hash(columns(*))) from " ~ training).rows[0] | join('|') -%}
    {%- set fingerprint = local_md5(ml_model_fingerprint(sql, settings) ~ '|' ~ data_fingerprint) -%}
    {%- set current = run_query("select fraud_model_info('" ~ this.identifier ~ "')").rows[0][0] -%}
    {%- set current_fingerprint = fromjson(current).fingerprint if current else none -%}

    {%- if current_fingerprint == fingerprint and not ml_model_retrain_requested() %}
        {{ log(model.name ~ ": the model is current (training data and options unchanged)", info=true) }}
    {%- else %}
        {#- AUTO OFF trains the named model type only. Its OBJECTIVE is then the loss
            the learner fits (such as binary:logistic), so the threshold is tuned for F1. -#}
        {%- set local_learners = {'xgboost': ['xgboost'], 'linear_learner': ['logistic_regression']} -%}
        {%- if not settings.auto and (settings.model_type | lower) not in local_learners -%}
            {{ exceptions.raise_compiler_error(model.name ~ ": model_type " ~ settings.model_type
                ~ " has no local counterpart (xgboost, linear_learner)") }}
        {%- endif -%}
        {%- set options = {
            'objective': settings.objective if settings.auto else 'F1',
            'features': settings.features,
            'target': settings.target,
            'time_column': settings.time_column,
            'max_runtime_seconds': settings.max_runtime,
            'seed': settings.seed,
        } -%}
        {%- if not settings.auto -%}
            {%- do options.update({'learners': local_learners[settings.model_type | lower]}) -%}
        {%- endif -%}
        {{ log(model.name ~ ": training (" ~ ("first model" if current is none else "data or options changed") ~ ")", info=true) }}
        {%- set trained = run_query(
            "select fraud_model_train('" ~ training ~ "', '" ~ tojson(options) ~ "', '" ~ fingerprint ~ "')"
        ).rows[0][0] -%}
        {%- set info = fromjson(trained) -%}
        {{ log(model.name ~ ": version " ~ info.version ~ ", " ~ info.learner ~ ", validation "
            ~ info.objective ~ " " ~ "%.4f" | format(info.validation_objective_value)
            ~ ", trained in " ~ info.training_seconds ~ " s", info=true) }}
    {%- endif %}

    {% call statement('main') %}
        create or replace table {{ show_model }} as
        select
            info ->> 'model_name' as model_name,
            cast(info ->> 'version' as integer) as model_version,
            case when info ->> 'state' = 'READY' then 'Model is Ready' else info ->> 'state' end as model_state,
            '{{ settings.function }}' as function_name,
            info ->> 'learner' as learner,
            info ->> 'objective' as objective,
            cast(info ->> 'validation_objective_value' as double) as validation_objective_value,
            cast(info ->> 'validation_auc' as double) as validation_auc,
            cast(info ->> 'validation_average_precision' as double) as validation_average_precision,
            cast(info ->> 'threshold' as double) as threshold,
            cast(info ->> 'training_start' as timestamp) as training_start,
            cast(info ->> 'training_end' as timestamp) as training_end,
            cast(info ->> 'training_rows' as bigint) as training_rows,
            cast(info ->> 'training_frauds' as bigint) as training_frauds,
            info -> 'features' as features,
            cast(info ->> 'training_seconds' as double) as training_seconds,
            cast(info ->> 'created_at' as timestamptz) as trained_at,
            info -> 'candidates' as candidates
        from (select cast(fraud_model_info('{{ this.identifier }}') as json) as info) as model_info
    {% endcall %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [show_model]}) }}
{% endmaterialization %}
