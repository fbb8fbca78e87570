-- Predictions against the ground truth on a test period after the training window (the
-- walkthrough's check), with the confusion matrix, precision and recall. Set the vars
-- test_start (e.g. 7 days after training_end, for the label delay) and, optionally, test_end.
{%- set fraud_model = project_var('fraud_model') %}
{%- set functions = ml_model_serving_functions(fraud_model['name'], fraud_model['function']) %}

with

test_period as (

    select *
    from {{ ref('int_training_features') }}
    where
        {% if project_var('test_end', none) %}
            tx_datetime >= cast('{{ project_var("test_start", "2018-08-08") }}' as timestamp)
            and tx_datetime < cast('{{ project_var("test_end", none) }}' as timestamp)
        {% else %}
            tx_datetime >= cast('{{ project_var("test_start", "2018-08-08") }}' as timestamp)
        {% endif %}

),

predicted as (

    select
        tx_fraud,
        {{ functions['function'] }}({{ fraud_model['inputs'] | join(', ') }}) as fraud_prediction
    from test_period

),

confusion as (

    select
        sum(case when tx_fraud = 1 and fraud_prediction = 1 then 1 else 0 end) as true_positives,
        sum(case when tx_fraud = 0 and fraud_prediction = 1 then 1 else 0 end) as false_positives,
        sum(case when tx_fraud = 1 and fraud_prediction = 0 then 1 else 0 end) as false_negatives,
        sum(case when tx_fraud = 0 and fraud_prediction = 0 then 1 else 0 end) as true_negatives
    from predicted

)

select
    *,
    -- precision is a keyword in sqlfluff's dialect, not a reserved word in Redshift or DuckDB:
    -- the column keeps its usual name.
    cast(true_positives as double precision)
    / nullif(true_positives + false_positives, 0) as precision,  -- noqa: RF04
    cast(true_positives as double precision)
    / nullif(true_positives + false_negatives, 0) as recall
from confusion
