{#- A fraud model's training SELECT: transaction_id, customer_id, tx_datetime, the given
    inputs in order and tx_fraud, from int_training_features, over the window of
    fraud_model_training_window(). Shared by cust_cc_txn_fd and cust_cc_txn_fd_plus, which
    differ only in their inputs. -#}
{% macro fraud_model_training_set(inputs) %}
{%- set window = fraud_model_training_window() %}
with

training_set as (

    select
        transaction_id,
        customer_id,
        tx_datetime,
        {% for input in inputs -%}
            {{ input }},
        {% endfor -%}
        tx_fraud
    from {{ ref('int_training_features') }}

),

training_window as (

    select *
    from training_set
    {#- The bounds come first: the model's fingerprint is this SQL (spacing aside), and
        reordering the conditions would retrain a model already trained on Redshift. #}
    where
        {% if window.start is not none -%}
            tx_datetime >= {{ window.start }}
            and
        {% endif -%}
        {% if window.end is not none -%}
            tx_datetime < {{ window.end }}
            and
        {% endif -%}
        tx_fraud is not null

)

select * from training_window
{% endmacro %}


{#- The training window, as {start, end}: each SQL for a timestamp, or none (unbounded).
    With the var training_days unset: the vars training_start and training_end. Set: a
    sliding window ending with the training set's newest day, whose days are the
    training_days before the gate week (the newest model_gate_days, which the ml_model
    materialization holds out to gate the new version) and the gate week. The bounds are
    literals once the warehouse is asked, so that the SQL, which Redshift's fingerprint
    reads, moves with the window. -#}
{% macro fraud_model_training_window() %}
    {%- set days = project_var('training_days') -%}
    {%- if days is none -%}
        {%- set bounds = {} -%}
        {%- set given = {'start': project_var('training_start', none), 'end': project_var('training_end', none)} -%}
        {%- for bound, at in given.items() if at -%}
            {%- do bounds.update({bound: "cast('" ~ at ~ "' as timestamp)"}) -%}
        {%- endfor -%}
        {{ return({'start': bounds.get('start'), 'end': bounds.get('end')}) }}
    {%- endif -%}
    {%- if project_var('training_start', none) or project_var('training_end', none) -%}
        {{ exceptions.raise_compiler_error(
            "the var training_days slides the training window: leave training_start and training_end unset") }}
    {%- endif -%}
    {%- set gate_days = fraud_model_gate_days() -%}
    {%- set newest = timestamp_lookup(
        'select max(tx_datetime) from ' ~ ref('int_training_features'), '1900-01-02') -%}
    {%- if newest is string -%}
        {%- set end = dbt.dateadd('day', 1, dbt.date_trunc('day', newest)) -%}
    {%- else -%}
        {%- set end = newest.replace(hour=0, minute=0, second=0, microsecond=0) + modules.datetime.timedelta(days=1) -%}
    {%- endif -%}
    {{ return({'start': timestamp_sql(end, -(days | int) - gate_days), 'end': none}) }}
{% endmacro %}


{#- The var model_gate_days, checked: the days of the gate week. -#}
{% macro fraud_model_gate_days() %}
    {{ return(project_var('model_gate_days') | int) }}
{% endmacro %}


{#- The ml_model meta of a fraud model with these function and inputs: the settings both
    models share come from the same vars. AUTO OFF takes HYPERPARAMETERS: the var
    model_hyperparameters, else the project's tuned XGBoost (model_xgboost_hyperparameters). -#}
{% macro fraud_model_meta(function, inputs) %}
    {{ return({
        'function': function,
        'target': 'tx_fraud',
        'time_column': 'tx_datetime',
        'id_column': 'transaction_id',
        'features': inputs,
        'auto': project_var('model_auto', true),
        'model_type': project_var('model_type', none),
        'problem_type': 'binary_classification',
        'objective': project_var('model_objective', none),
        'hyperparameters': project_var('model_hyperparameters', none)
            or (none if project_var('model_auto', true) else project_var('model_xgboost_hyperparameters')),
        's3_bucket': project_var('redshift_ml_s3_bucket', ''),
        's3_garbage_collect': true,
        'max_runtime': project_var('model_max_runtime'),
        'max_cells': project_var('model_max_cells', none),
        'kms_key_id': project_var('model_kms_key_id', none),
        'gate_days': fraud_model_gate_days() if project_var('training_days') else none,
        'gate_tolerance': project_var('model_gate_tolerance') | float,
    }) }}
{% endmacro %}
