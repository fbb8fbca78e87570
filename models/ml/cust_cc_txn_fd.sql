{#- The walkthrough's fraud model: Redshift ML's CREATE MODEL on Redshift, the in-process
    AutoML counterpart locally; either way its prediction function is fn_customer_cc_fd with
    the 15 inputs below, in this order. The training window can be bounded with the vars
    training_start and training_end (timestamps; default: the whole labelled history).
    Redshift ML samples a training set larger than MAX_CELLS (default 1,000,000 cells; the
    default world's is about 28M): the var model_max_cells raises it. -#}
{{
    config(
        materialized='ml_model',
        meta={
            'function': 'fn_customer_cc_fd',
            'target': 'tx_fraud',
            'time_column': 'tx_datetime',
            'features': [
                'tx_amount',
                'tx_during_weekend',
                'tx_during_night',
                'customer_id_nb_tx_1day_window',
                'customer_id_avg_amount_1day_window',
                'customer_id_nb_tx_7day_window',
                'customer_id_avg_amount_7day_window',
                'customer_id_nb_tx_30day_window',
                'customer_id_avg_amount_30day_window',
                'terminal_id_nb_tx_1day_window',
                'terminal_id_risk_1day_window',
                'terminal_id_nb_tx_7day_window',
                'terminal_id_risk_7day_window',
                'terminal_id_nb_tx_30day_window',
                'terminal_id_risk_30day_window',
            ],
            'auto': var('model_auto', true),
            'model_type': var('model_type', none),
            'problem_type': 'binary_classification',
            'objective': var('model_objective', 'F1'),
            'hyperparameters': var('model_hyperparameters', none),
            's3_bucket': var('redshift_ml_s3_bucket', ''),
            's3_garbage_collect': true,
            'max_runtime': var('model_max_runtime', 5400),
            'max_cells': var('model_max_cells', none),
            'kms_key_id': var('model_kms_key_id', none),
        },
    )
}}

with

training_set as (

    select
        transaction_id,
        tx_datetime,
        tx_amount,
        tx_during_weekend,
        tx_during_night,
        customer_id_nb_tx_1day_window,
        customer_id_avg_amount_1day_window,
        customer_id_nb_tx_7day_window,
        customer_id_avg_amount_7day_window,
        customer_id_nb_tx_30day_window,
        customer_id_avg_amount_30day_window,
        terminal_id_nb_tx_1day_window,
        terminal_id_risk_1day_window,
        terminal_id_nb_tx_7day_window,
        terminal_id_risk_7day_window,
        terminal_id_nb_tx_30day_window,
        terminal_id_risk_30day_window,
        tx_fraud
    from {{ ref('int_training_features') }}

),

training_window as (

    select *
    from training_set
    {#- The bounds come first: the model's fingerprint is this SQL (spacing aside), and
        reordering the conditions would retrain a model already trained on Redshift. #}
    where
        {% if var('training_start', none) -%}
            tx_datetime >= cast('{{ var("training_start") }}' as timestamp)
            and
        {% endif -%}
        {% if var('training_end', none) -%}
            tx_datetime < cast('{{ var("training_end") }}' as timestamp)
            and
        {% endif -%}
        tx_fraud is not null

)

select * from training_window
