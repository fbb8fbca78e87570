-- The model as SHOW MODEL describes it: on Redshift the statement itself, locally the model
-- relation, which holds the same description (also: dbt run-operation show_model).
{%- set fraud_model = ref('cust_cc_txn_fd') %}
{% if target.type == 'redshift' %}
    show model {{ fraud_model.schema }}.{{ fraud_model.identifier }}
{% else %}
    select * from {{ fraud_model }}
{% endif %}
