{#- The second fraud model: the walkthrough's 15 inputs, then the extra inputs of the var
    fraud_model_plus (ratios of the 15 to the customer's own history, defined once by the
    macro relative_features for the training set and scoring alike); its prediction function
    is fn_customer_cc_fd_plus. The same options and training window vars as cust_cc_txn_fd.
    Opt-in: a plain dbt build leaves it out (selectors.yml); dbt run -s cust_cc_txn_fd_plus
    trains it. The predictions keep calling fn_customer_cc_fd. -#}
{%- set plus = project_var('fraud_model_plus') %}
{%- set inputs = project_var('fraud_model')['inputs'] + plus['extra_inputs'] %}
{{
    config(
        materialized='ml_model',
        meta=fraud_model_meta(plus['function'], inputs),
    )
}}

{%- do ml_model_settings() %}

{{ fraud_model_training_set(inputs) }}
