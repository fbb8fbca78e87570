{#- The options of an ml_model (its config's meta), with their defaults, as one dict, checked
    at compile time against what CREATE MODEL allows in each mode; an error names the var.
    features: the input columns in the prediction function's argument order; target: the
    label; time_column: orders the rows for the local time-ordered validation (not an
    input); id_column: a row's unique id, by which a training set over MAX_CELLS keeps every
    positive and a seeded sample of the rest (ml_model_training_sample); gate_days: when
    set, the newest gate_days days of the training SELECT are held out as the gate week, on
    which a new version must not be worse than the serving one by more than gate_tolerance
    (average precision, card precision@100) to serve. The rest are
    CREATE MODEL's options:
    https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_MODEL.html
    - AUTO ON: MODEL_TYPE optional, PROBLEM_TYPE, OBJECTIVE (MSE, Accuracy, F1, F1Macro, AUC),
      PREPROCESSORS optional; no HYPERPARAMETERS.
    - AUTO OFF ("CREATE XGBoost models with AUTO OFF", r_create_model_use_cases.html): MODEL_TYPE
      XGBOOST, an XGBoost OBJECTIVE, PREPROCESSORS 'none' and HYPERPARAMETERS DEFAULT [EXCEPT
      (...)] are required; PROBLEM_TYPE is not supported. -#}
{% macro ml_model_settings() %}
    {%- set meta = config.get('meta') or {} -%}
    {%- set auto = meta.get('auto', true) -%}
    {%- set settings = {
        'features': meta.get('features', []),
        'target': meta.get('target', 'tx_fraud'),
        'time_column': meta.get('time_column', 'tx_datetime'),
        'id_column': meta.get('id_column'),
        'function': meta.get('function', 'fn_' ~ model.name),
        'iam_role': meta.get('iam_role', project_var('redshift_iam_role', 'default')),
        'auto': auto,
        'model_type': (meta.get('model_type') or '') | lower or none,
        'problem_type': (meta.get('problem_type') or '') | lower or none,
        'objective': meta.get('objective') or ('F1' if auto else none),
        'preprocessors': meta.get('preprocessors'),
        'hyperparameters': meta.get('hyperparameters'),
        's3_bucket': meta.get('s3_bucket', project_var('redshift_ml_s3_bucket', '')),
        's3_garbage_collect': meta.get('s3_garbage_collect', true),
        'max_cells': meta.get('max_cells'),
        'max_runtime': meta.get('max_runtime', 5400),
        'kms_key_id': meta.get('kms_key_id'),
        'seed': meta.get('seed', 0),
        'gate_days': meta.get('gate_days'),
        'gate_tolerance': meta.get('gate_tolerance', 0),
    } -%}
    {%- if execute -%}
        {%- set problem = ml_model_settings_problem(settings) -%}
        {%- if problem -%}
            {{ exceptions.raise_compiler_error(model.name ~ ": " ~ problem) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(settings) }}
{% endmacro %}


{#- What is wrong with the settings, naming the var to change, or none. -#}
{% macro ml_model_settings_problem(settings) %}
    {%- set automl_objectives = ['mse', 'accuracy', 'f1', 'f1macro', 'auc'] -%}
    {%- set xgboost_objectives = [
        'reg:squarederror', 'reg:squaredlogerror', 'reg:logistic', 'reg:pseudohubererror',
        'reg:tweedie', 'binary:logistic', 'binary:hinge', 'multi:softmax', 'rank:pairwise',
        'rank:ndcg'] -%}
    {%- if not settings.features -%}
        {{ return("ml_model needs meta.features, the input columns in order (the var fraud_model's inputs)") }}
    {%- elif settings.auto and settings.model_type not in (none, 'xgboost', 'mlp', 'linear_learner') -%}
        {{ return("the var model_type must be xgboost, mlp or linear_learner with AUTO ON, got " ~ settings.model_type) }}
    {%- elif settings.auto and (settings.objective | lower) not in automl_objectives -%}
        {{ return("the var model_objective must be one of MSE, Accuracy, F1, F1Macro, AUC with AUTO ON, got " ~ settings.objective) }}
    {%- elif settings.auto and settings.hyperparameters -%}
        {{ return("the var model_hyperparameters is for AUTO OFF only (set model_auto: false, or leave it out)") }}
    {%- elif not settings.auto and settings.model_type != 'xgboost' -%}
        {{ return("AUTO OFF (the var model_auto: false) needs the var model_type: xgboost, the one model type Redshift ML trains with AUTO OFF") }}
    {%- elif not settings.auto and settings.objective not in xgboost_objectives -%}
        {{ return("AUTO OFF needs the var model_objective set to an XGBoost objective such as binary:logistic, got " ~ settings.objective) }}
    {%- elif not settings.auto and settings.preprocessors -%}
        {{ return("preprocessors are for AUTO ON only: AUTO OFF takes PREPROCESSORS 'none'") }}
    {%- elif target.type == 'redshift' and not settings.s3_bucket -%}
        {{ return("the var redshift_ml_s3_bucket is empty: CREATE MODEL needs the S3 bucket Redshift ML exchanges data with SageMaker through") }}
    {%- endif -%}
    {#- Values that reach CREATE MODEL as literals: their formats. -#}
    {%- set rules = var_rules() -%}
    {%- do checked_var_value('redshift_iam_role', settings.iam_role, rules['redshift_iam_role']) -%}
    {%- do checked_var_value('redshift_ml_s3_bucket', settings.s3_bucket or none, rules['redshift_ml_s3_bucket']) -%}
    {%- do checked_var_value('model_kms_key_id', settings.kms_key_id, rules['model_kms_key_id']) -%}
    {%- do checked_var_value('model_max_cells', settings.max_cells, rules['model_max_cells']) -%}
    {%- do checked_var_value('model_max_runtime', settings.max_runtime, rules['model_max_runtime']) -%}
    {%- do checked_var_value('model_hyperparameters', settings.hyperparameters, rules['model_hyperparameters']) -%}
    {{ return(none) }}
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
    {%- set requested = project_var('retrain_models', false) -%}
    {{ return(requested is sameas true or (requested is iterable and requested is not string and model.name in requested)) }}
{% endmacro %}
