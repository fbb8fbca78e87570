{#- ml_model on Redshift: see default.sql for what it does on every adapter.

    Redshift ML trains in the background, and no SQL waits well (Redshift has no sleep
    function, and generate_series is leader-node only and listed among the unsupported
    PostgreSQL functions:
    https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-functions.html),
    so a run never waits for training. Each run moves the model on by one step, the state
    kept in dbt_ml_model_versions (macros/ml/ml_model_versions.sql):
    - a version is training: Ready -> it serves; failed -> recorded with SHOW MODEL's reason
      and dropped, the serving version goes on; else say so (the serving version goes on);
    - else, the serving version was trained from this SQL and these options: nothing to do;
    - else: CREATE MODEL <model>_v<N+1>.
    `python -m fraud_detection wait-model --target redshift` runs this until no version is
    training, pausing between runs in Python, bounded by the model's MAX_RUNTIME. -#}
{% materialization ml_model, adapter='redshift' %}
    {%- set settings = ml_model_settings() -%}
    {%- set versions = ml_model_versions_relation(this) -%}
    {%- set fingerprint = ml_model_fingerprint(sql, settings) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% call statement('create_versions', auto_begin=False) %}
        {{ ml_model_versions_create_sql(versions) }}
    {% endcall %}
    {%- set known = ml_model_versions(versions, this.identifier) -%}
    {%- set training = known | selectattr('status', 'equalto', 'training') | list -%}
    {%- set serving = known | selectattr('status', 'equalto', 'serving') | list -%}
    {%- set serving_text = ("v" ~ (serving | last).version ~ " serves meanwhile") if serving else "no version serves yet" -%}

    {%- if training -%}
        {%- set version = training | last -%}
        {%- set model_state = ml_model_state(versions.schema, version.redshift_model) -%}
        {%- if model_state == 'Model is Ready' -%}
            {% call statement('main', auto_begin=False) %}
                {{ ml_model_version_status_sql(versions, this.identifier, version.version, 'serving') }}
            {% endcall %}
            {%- for previous in serving -%}
                {% call statement('retire_' ~ previous.version, auto_begin=False) %}
                    {{ ml_model_version_status_sql(versions, this.identifier, previous.version, 'retiring') }}
                {% endcall %}
            {%- endfor -%}
            {{ log(model.name ~ ": v" ~ version.version ~ " is ready and serves from now on (the predictions switch when they are built next)", info=true) }}
        {%- elif model_state is none or 'fail' in model_state | lower -%}
            {%- set reason = ml_model_failure_reason(versions.schema, version.redshift_model, model_state) -%}
            {% call statement('main', auto_begin=False) %}
                {{ ml_model_version_status_sql(versions, this.identifier, version.version, 'failed', reason) }}
            {% endcall %}
            {#- A failed model cannot be retried: drop it (CREATE MODEL usage notes). -#}
            {% call statement('drop_failed', auto_begin=False) %}
                drop model if exists {{ versions.schema }}.{{ version.redshift_model }}
            {% endcall %}
            {{ exceptions.raise_compiler_error(
                model.name ~ ": training v" ~ version.version ~ " failed: " ~ reason ~ "; " ~ serving_text) }}
        {%- else -%}
            {{ materialization_noop_main('training') }}
            {{ log(model.name ~ ": v" ~ version.version ~ " is training ('" ~ model_state ~ "'); "
                ~ serving_text ~ ". python -m fraud_detection wait-model --target redshift waits for it", info=true) }}
        {%- endif -%}
    {%- elif serving and (serving | last).fingerprint == fingerprint and not ml_model_retrain_requested() -%}
        {{ materialization_noop_main('current') }}
        {{ log(model.name ~ ": the model is current (v" ~ (serving | last).version ~ ": training SQL and options unchanged)", info=true) }}
    {%- else -%}
        {%- set number = (known | map(attribute='version') | max) + 1 if known else 1 -%}
        {% call statement('main', auto_begin=False) %}
            {{ create_model_sql(this, settings, sql, number) }}
        {% endcall %}
        {% call statement('record_version', auto_begin=False) %}
            {{ ml_model_version_insert_sql(versions, this.identifier, number, settings, fingerprint) }}
        {% endcall %}
        {{ log(model.name ~ ": training v" ~ number ~ " in the background; " ~ serving_text, info=true) }}
    {%- endif -%}

    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': []}) }}
{% endmaterialization %}
