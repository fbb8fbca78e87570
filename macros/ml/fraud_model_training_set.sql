{#- A fraud model's training SELECT: transaction_id, tx_datetime, the given inputs in order and
    tx_fraud, from int_training_features, optionally bounded by the vars training_start and
    training_end. Shared by cust_cc_txn_fd and cust_cc_txn_fd_plus, which differ only in
    their inputs. -#}
{% macro fraud_model_training_set(inputs) %}
with

training_set as (

    select
        transaction_id,
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
        {% if timestamp_var('training_start') -%}
            tx_datetime >= cast('{{ timestamp_var("training_start") }}' as timestamp)
            and
        {% endif -%}
        {% if timestamp_var('training_end') -%}
            tx_datetime < cast('{{ timestamp_var("training_end") }}' as timestamp)
            and
        {% endif -%}
        tx_fraud is not null

)

select * from training_window
{% endmacro %}


{#- The ml_model meta of a fraud model with these function and inputs: the settings both
    models share come from the same vars. -#}
{% macro fraud_model_meta(function, inputs) %}
    {{ return({
        'function': function,
        'target': 'tx_fraud',
        'time_column': 'tx_datetime',
        'features': inputs,
        'auto': var('model_auto', true),
        'model_type': var('model_type', none),
        'problem_type': 'binary_classification',
        'objective': var('model_objective', none),
        'hyperparameters': var('model_hyperparameters', none),
        's3_bucket': var('redshift_ml_s3_bucket', ''),
        's3_garbage_collect': true,
        'max_runtime': var('model_max_runtime'),
        'max_cells': var('model_max_cells', none),
        'kms_key_id': var('model_kms_key_id', none),
    }) }}
{% endmacro %}
