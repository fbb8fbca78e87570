{#- The walkthrough's fraud model: Redshift ML's CREATE MODEL on Redshift, the in-process
    AutoML counterpart locally; either way its prediction function is fn_customer_cc_fd with
    the walkthrough's 15 inputs in order (both from the var fraud_model in dbt_project.yml).
    The training window can be bounded with the vars training_start and training_end (timestamps; default: the whole labelled history).
    Redshift ML samples a training set larger than MAX_CELLS (default 1,000,000 cells; the
    default world's is about 28M): the var model_max_cells raises it. -#}
{{
    config(
        materialized='ml_model',
        meta={
            'function': var('fraud_model')['function'],
            'target': 'tx_fraud',
            'time_column': 'tx_datetime',
            'features': var('fraud_model')['inputs'],
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
        },
    )
}}

{#- The settings are checked as the model compiles: a mode's wrong clause or a missing S3
    bucket fails here, naming the var, before anything reaches the warehouse. #}
{%- do ml_model_settings() %}

with

training_set as (

    select
        transaction_id,
        tx_datetime,
        {% for input in var('fraud_model')['inputs'] -%}
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
