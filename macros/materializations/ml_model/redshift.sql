{#- ml_model on Redshift: see default.sql for what it does on every adapter.

    Redshift ML trains in the background, and no SQL waits well (Redshift has no sleep
    function, and generate_series is leader-node only and listed among the unsupported
    PostgreSQL functions:
    https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-functions.html),
    so a run never waits for training. Each run moves the model on by one step, the state
    kept in dbt_ml_model_versions (macros/ml/ml_model_versions.sql):
    - a version is training: Ready -> it serves, or, trained on a sliding window (gate_days)
      while another serves, it waits at 'gating' for `wait-model` to measure both on its
      gate week (fraud_detection.refresh.model_wait); failed -> recorded with SHOW MODEL's
      reason and dropped, the serving version goes on; else say so (the serving version goes
      on);
    - a version is gating: nothing to do until wait-model has decided;
    - else, the serving version, or the newest version the gate refused, was trained from
      this SQL and these options: nothing to do;
    - else: CREATE MODEL <model>_v<N+1>, with the gate week held out if gate_days is set,
      and the rows kept within MAX_CELLS (ml_model_training_sample).
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
    {%- set gating = known | selectattr('status', 'equalto', 'gating') | list -%}
    {%- set serving = known | selectattr('status', 'equalto', 'serving') | list -%}
    {%- set refused = known | selectattr('status', 'equalto', 'refused') | list -%}
    {%- set newest_refused = (refused | last) if refused and (not serving or (refused | last).version > (serving | last).version) else none -%}
    {%- set serving_text = ("v" ~ (serving | last).version ~ " serves meanwhile") if serving else "no version serves yet" -%}

    {%- if training -%}
        {%- set version = training | last -%}
        {%- set model_state = ml_model_state(versions.schema, version.redshift_model) -%}
        {%- if model_state == 'Model is Ready' and version.gate_start is not none and serving -%}
            {% call statement('main', auto_begin=False) %}
                {{ ml_model_version_status_sql(versions, this.identifier, version.version, 'gating') }}
            {% endcall %}
            {{ log(model.name ~ ": v" ~ version.version ~ " is ready; wait-model measures it on its gate week against v"
                ~ (serving | last).version ~ " before it serves (python -m fraud_detection wait-model --target redshift)", info=true) }}
        {%- elif model_state == 'Model is Ready' -%}
            {% call statement('main', auto_begin=False) %}
                {{ ml_model_version_status_sql(versions, this.identifier, version.version, 'serving') }}
            {% endcall %}
            {%- for previous in serving -%}
                {% call statement('retire_' ~ previous.version, auto_begin=False) %}
                    {{ ml_model_version_status_sql(versions, this.identifier, previous.version, 'retiring') }}
                {% endcall %}
            {%- endfor -%}
            {{ log(model.name ~ ": v" ~ version.version ~ " is ready and serves from now on (the predictions switch when they are built next)", info=true) }}
        {%- elif model_state is none or ml_model_failed(versions.schema, version.redshift_model, model_state) -%}
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
    {%- elif gating -%}
        {{ materialization_noop_main('gating') }}
        {{ log(model.name ~ ": v" ~ (gating | last).version ~ " waits for the gate: python -m fraud_detection wait-model --target redshift", info=true) }}
    {%- elif serving and (serving | last).fingerprint == fingerprint and not ml_model_retrain_requested() -%}
        {{ materialization_noop_main('current') }}
        {{ log(model.name ~ ": the model is current (v" ~ (serving | last).version ~ ": training SQL and options unchanged)", info=true) }}
    {%- elif newest_refused and newest_refused.fingerprint == fingerprint and not ml_model_retrain_requested() -%}
        {{ materialization_noop_main('current') }}
        {{ log(model.name ~ ": the model is current (v" ~ newest_refused.version ~ ", trained on this data, was refused by the gate; "
            ~ serving_text | replace(" meanwhile", "") ~ ")", info=true) }}
    {%- else -%}
        {%- set number = (known | map(attribute='version') | max) + 1 if known else 1 -%}
        {%- set window = ml_model_gate_week(sql, settings) -%}
        {%- set held_out = (settings.time_column ~ ' < ' ~ timestamp_sql(window.gate_start)) if window else none -%}
        {%- set bounds = run_query('select min(' ~ settings.time_column ~ '), max(' ~ settings.time_column
            ~ ') from (' ~ sql ~ ') as training_set' ~ (' where ' ~ held_out if held_out else '')).rows[0] -%}
        {%- set sample = ml_model_training_sample(sql, settings, held_out) -%}
        {%- do window.update({'training_start': bounds[0], 'training_end': bounds[1],
                              'genuine_sample_rate': sample.rate}) -%}
        {% call statement('main', auto_begin=False) %}
            {{ create_model_sql(this, settings, sql, number, window.get('gate_start'), sample.condition) }}
        {% endcall %}
        {% call statement('record_version', auto_begin=False) %}
            {{ ml_model_version_insert_sql(versions, this.identifier, number, settings, fingerprint, window) }}
        {% endcall %}
        {{ log(model.name ~ ": training v" ~ number ~ " in the background; " ~ serving_text, info=true) }}
    {%- endif -%}

    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': []}) }}
{% endmaterialization %}
