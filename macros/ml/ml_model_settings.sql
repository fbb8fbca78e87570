{#- The options of an ml_model (its config's meta), with their defaults, as one dict.
    features: the input columns in the prediction function's argument order; target: the
    label; time_column: orders the rows for the local time-ordered validation (not an
    input). The rest are CREATE MODEL's options. -#}
{% macro ml_model_settings() %}
    {%- set meta = config.get('meta') or {} -%}
    {%- set settings = {
        'features': meta.get('features', []),
        'target': meta.get('target', 'tx_fraud'),
        'time_column': meta.get('time_column', 'tx_datetime'),
        'function': meta.get('function', 'fn_' ~ model.name),
        'iam_role': meta.get('iam_role', var('redshift_iam_role', 'default')),
        'auto': meta.get('auto', true),
        'model_type': meta.get('model_type'),
        'problem_type': meta.get('problem_type', 'binary_classification'),
        'objective': meta.get('objective', 'F1'),
        'preprocessors': meta.get('preprocessors'),
        'hyperparameters': meta.get('hyperparameters'),
        's3_bucket': meta.get('s3_bucket', var('redshift_ml_s3_bucket', '')),
        's3_garbage_collect': meta.get('s3_garbage_collect', true),
        'max_cells': meta.get('max_cells'),
        'max_runtime': meta.get('max_runtime', 5400),
        'kms_key_id': meta.get('kms_key_id'),
        'wait_timeout_seconds': meta.get('wait_timeout_seconds', 7200),
        'poll_seconds': meta.get('poll_seconds', 30),
        'seed': meta.get('seed', 0),
    } -%}
    {%- if execute and not settings.features -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": ml_model needs meta.features, the input columns in order") }}
    {%- endif -%}
    {%- if execute and not settings.auto and not (settings.model_type and settings.objective) -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": auto off needs model_type and objective") }}
    {%- endif -%}
    {{ return(settings) }}
{% endmacro %}


{#- What identifies a trained model: its training SQL (comments and spacing aside) and the
    options that shape training. Waiting, polling and the IAM role are not among them. -#}
{% macro ml_model_fingerprint(sql, settings) %}
    {%- set without_comments = modules.re.sub('--[^\\n]*', '', sql) -%}
    {%- set normalized = modules.re.sub('[\\s]+', ' ', without_comments).strip() -%}
    {%- set shaping = {} -%}
    {%- for key in ['features', 'target', 'function', 'auto', 'model_type', 'problem_type', 'objective',
                    'preprocessors', 'hyperparameters', 'max_cells', 'max_runtime', 'seed'] -%}
        {%- do shaping.update({key: settings[key]}) -%}
    {%- endfor -%}
    {{ return(local_md5(normalized ~ '|' ~ tojson(shaping, sort_keys=true))) }}
{% endmacro %}


{#- True when the var retrain_models is true or names this model. -#}
{% macro ml_model_retrain_requested() %}
    {%- set requested = var('retrain_models', false) -%}
    {{ return(requested is sameas true or (requested is iterable and requested is not string and model.name in requested)) }}
{% endmacro %}


{#- Print SHOW MODEL for a model: dbt run-operation show_model --args '{model: cust_cc_txn_fd}' -#}
{% macro show_model(model=none) %}
    {%- set model = model or var('fraud_model')['name'] -%}
    {%- if target.type == 'redshift' -%}
        {%- set result = run_query('show model ' ~ target.schema ~ '.' ~ model) -%}
    {%- else -%}
        {%- set result = run_query('select * from ' ~ target.schema ~ '.' ~ model) -%}
    {%- endif -%}
    {%- do result.print_table(max_column_width=80) -%}
{% endmacro %}
