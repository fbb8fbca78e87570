{#- Print SHOW MODEL for a model: dbt run-operation show_model --args '{model: cust_cc_txn_fd}'.
    On Redshift a dbt model's name shows its serving version (<model>_v<N>, the newest in
    training when none serves yet); a version's own name shows that version. -#}
{% macro show_model(model=none) %}
    {%- set model = model or project_var('fraud_model')['name'] -%}
    {%- if target.type == 'redshift' -%}
        {%- set versions = api.Relation.create(
            database=target.database, schema=target.schema, identifier='dbt_ml_model_versions') -%}
        {%- set known = ml_model_versions(versions, model) | rejectattr('status', 'in', ['retired', 'failed']) | list -%}
        {%- set serving = known | selectattr('status', 'equalto', 'serving') | list -%}
        {%- set version = (serving or known) | last if known else none -%}
        {%- set result = run_query('show model ' ~ target.schema ~ '.' ~ (version.redshift_model if version else model)) -%}
    {%- else -%}
        {%- set result = run_query('select * from ' ~ target.schema ~ '.' ~ model) -%}
    {%- endif -%}
    {%- do result.print_table(max_column_width=80) -%}
{% endmacro %}
