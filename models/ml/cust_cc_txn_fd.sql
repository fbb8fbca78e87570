{#- The walkthrough's fraud model: Redshift ML's CREATE MODEL on Redshift, the in-process
    AutoML counterpart locally; either way its prediction function is fn_customer_cc_fd with
    the walkthrough's 15 inputs in order (both from the var fraud_model in dbt_project.yml).
    The training window can be bounded with the vars training_start and training_end (timestamps; default: the whole labelled history).
    Within MAX_CELLS (default 1,000,000 cells; the default world's training set is about
    28M), the materialization trains on every fraud and a seeded sample of the genuine rows,
    the same on both targets (ml_model_training_sample): the var model_max_cells raises it. -#}
{{
    config(
        materialized='ml_model',
        meta=fraud_model_meta(project_var('fraud_model')['function'], project_var('fraud_model')['inputs']),
    )
}}

{#- The settings are checked as the model compiles: a mode's wrong clause or a missing S3
    bucket fails here, naming the var, before anything reaches the warehouse. #}
{%- do ml_model_settings() %}

{{ fraud_model_training_set(project_var('fraud_model')['inputs']) }}
