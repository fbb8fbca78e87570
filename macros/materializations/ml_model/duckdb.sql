{#- ml_model on DuckDB (the local target): see default.sql for what it does on every adapter. -#}

{% materialization ml_model, adapter='duckdb' %}
    {%- set settings = ml_model_settings() -%}
    {%- set show_model = this.incorporate(type='table') -%}
    {%- set training = api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__training', type='table') -%}

    {%- set gate = api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__gate', type='table') -%}
    {%- set versions = ml_model_versions_relation(this) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% call statement('create_versions') %}
        {{ ml_model_versions_create_sql(versions) }};
        {{ ml_model_versions_upgrade_sql(versions) }}
    {% endcall %}
    {% call statement('training_data') %}
        create or replace table {{ training }} as
        {{ sql }}
    {% endcall %}
    {%- set gate_week = ml_model_gate_week('select * from ' ~ training, settings) %}
    {%- if gate_week %}
        {#- The gate week: the newest gate_days days of the SELECT, held out of training. -#}
        {%- set gate_start = timestamp_sql(gate_week.gate_start) -%}
        {% call statement('gate_data') %}
            create or replace table {{ gate }} as
            select * from {{ training }} where {{ settings.time_column }} >= {{ gate_start }};
            delete from {{ training }} where {{ settings.time_column }} >= {{ gate_start }};
        {% endcall %}
    {%- endif %}
    {#- Within MAX_CELLS: every fraud, and the same seeded sample of genuine rows as on
        Redshift (ml_model_training_sample). A window that cannot train fails there, before
        the plugin is called: the model in place keeps serving, and the SHOW MODEL table
        still describes it. -#}
    {%- set sample = ml_model_training_sample('select * from ' ~ training, settings) %}
    {%- if sample.condition %}
        {% call statement('training_sample') %}
            delete from {{ training }} where not {{ sample.condition }}
        {% endcall %}
    {%- endif %}
    {#- The plugin reads the training data through its own cursor: it must be committed. -#}
    {{ adapter.commit() }}
    {%- set window = run_query(
        "select count(*), sum(" ~ settings.target ~ "), min(" ~ settings.time_column ~ "),"
        ~ " max(" ~ settings.time_column ~ "), sum(hash(columns(*))) from " ~ training).rows[0] -%}
    {%- set data_fingerprint = window | join('|') -%}
    {%- set fingerprint = local_md5(ml_model_fingerprint(sql, settings) ~ '|' ~ data_fingerprint) -%}
    {%- set current = run_query("select fraud_model_info('" ~ this.identifier ~ "')").rows[0][0] -%}
    {%- set current_fingerprint = fromjson(current).fingerprint if current else none -%}
    {#- A version the gate refused is not trained again on the same data. -#}
    {%- set refused = run_query("select fingerprint from " ~ versions ~ " where model_name = '"
        ~ this.identifier ~ "' and status = 'refused' and version > coalesce((select max(version) from "
        ~ versions ~ " where model_name = '" ~ this.identifier ~ "' and status = 'serving'), 0)").columns[0].values() -%}

    {%- if current_fingerprint == fingerprint and not ml_model_retrain_requested() %}
        {{ log(model.name ~ ": the model is current (training data and options unchanged)", info=true) }}
    {%- elif fingerprint in refused and not ml_model_retrain_requested() %}
        {{ log(model.name ~ ": the model is current (a version trained on this data was refused by the gate)", info=true) }}
    {%- else %}
        {#- The options are fields of the plugin's TrainingOptions. A model_type (required by
            AUTO OFF, optional with AUTO ON) trains that type only: the plugin maps it to a
            local learner, or refuses it; AUTO OFF's HYPERPARAMETERS (Redshift ML's names)
            set its XGBoost. AUTO OFF's OBJECTIVE is the loss the learner fits
            (such as binary:logistic), so the threshold is tuned for F1. Validation leaves the
            label delay's gap after the training rows it holds out. -#}
        {%- set options = {
            'objective': settings.objective if settings.auto else 'F1',
            'features': settings.features,
            'target': settings.target,
            'time_column': settings.time_column,
            'max_runtime_seconds': settings.max_runtime,
            'seed': settings.seed,
            'validation_gap_days': label_delay_days(),
            'genuine_sample_rate': sample.rate,
        } -%}
        {%- if settings.model_type -%}
            {%- do options.update({'model_type': settings.model_type}) -%}
        {%- endif -%}
        {%- if settings.hyperparameters -%}
            {%- do options.update({'hyperparameters': settings.hyperparameters}) -%}
        {%- endif -%}
        {{ log(model.name ~ ": training (" ~ ("first model" if current is none else "data or options changed") ~ ")", info=true) }}
        {%- set trained = run_query(
            "select fraud_model_train('" ~ this.identifier ~ "', '" ~ training ~ "', '" ~ tojson(options)
            ~ "', '" ~ fingerprint ~ "', '" ~ (gate if settings.gate_days else '') ~ "', '" ~ settings.gate_tolerance ~ "')"
        ).rows[0][0] -%}
        {%- set info = fromjson(trained) -%}
        {{ log(model.name ~ ": version " ~ info.version ~ ", " ~ info.learner ~ ", validation "
            ~ ((info.objective ~ " " ~ "%.4f" | format(info.validation_objective_value))
                if info.validation_objective_value is not none else "none")
            ~ " (" ~ info.validation_scheme ~ "), trained in " ~ info.training_seconds ~ " s", info=true) }}
        {% call statement('record_version') %}
            {{ ml_model_version_record_sql(versions, this.identifier, info, settings) }}
        {% endcall %}
        {{ log(model.name ~ ": version " ~ info.version ~ (" serves: " if info.gate.serve else " is refused: ")
            ~ info.gate.reason, info=true) }}
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
            info ->> 'validation_scheme' as validation_scheme,
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
