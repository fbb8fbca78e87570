{#- The type and range of every var the project reads: the one place they are set. Each rule
    is checked by project_var() wherever the var is read, and by check_project_vars() before
    a run's first statement. A scalar rule is a regular expression the whole value must match
    (the value as text: a number's range is in its digits); `bool` takes only true or false;
    `each` is a rule for every item of a list; `keys` and `values` for a mapping; `fields` for
    a mapping with named fields. A test fails for a var read anywhere without a rule here. -#}
{% macro var_rules() %}
    {%- set arn = 'arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:[A-Za-z0-9+=,.@_/:-]+' -%}
    {#- Kinesis stream names: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html -#}
    {%- set stream = {'pattern': '[A-Za-z0-9_.-]{1,128}',
        'rule': "a Kinesis stream name: 1 to 128 letters, digits, '_', '.' or '-'"} -%}
    {%- set identifier = {'pattern': '[a-z_][a-z0-9_]{0,126}', 'rule': 'a lower-case identifier'} -%}
    {%- set flag = {'bool': true, 'rule': 'true or false'} -%}
    {%- set fraction = {'pattern': '(0|1)([.]0*)?|0?[.][0-9]+', 'rule': 'a fraction from 0 to 1'} -%}
    {%- set timestamp = {
        'pattern': '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?',
        'rule': 'a date or timestamp, YYYY-MM-DD[ HH:MM[:SS]]'} -%}
    {%- set hyperparameters = {'keys': '[A-Za-z_]{1,64}', 'values': '[A-Za-z0-9_.:-]{1,64}',
        'rule': 'names and simple values'} -%}
    {%- set ids = '[a-z_][a-z0-9_]{0,126}' -%}
    {{ return({
        'stream_name': stream,
        'feedback_stream_name': stream,
        'stream_source_kind': {'pattern': 'kinesis|msk', 'rule': 'kinesis or msk'},
        'stream_external_schema': identifier,
        'stream_auto_refresh': flag,
        'stream_retention_hours': {'pattern': '[0-9]{1,5}([.][0-9]{1,6})?', 'rule': 'a number of hours'},
        'msk_cluster_arn': {'pattern': arn, 'rule': 'an ARN'},
        'msk_authentication': {'pattern': 'none|iam|mtls', 'rule': 'none, iam or mtls'},
        'msk_authentication_arn': {'pattern': arn, 'rule': 'an ARN'},
        'msk_secret_arn': {'pattern': arn, 'rule': 'an ARN'},
        'redshift_iam_role': {'pattern': 'default|' ~ arn, 'rule': "'default' or an IAM role ARN"},
        'max_clock_skew_seconds': {'pattern': '[0-9]{1,10}', 'rule': 'a whole number of seconds, 0 or more'},
        'duplicate_horizon_hours': {'pattern': '[1-9][0-9]{0,4}', 'rule': 'a whole number of hours from 1 to 99999'},
        'refresh_lookback_minutes': {'pattern': '[0-9]{1,6}', 'rule': 'a whole number of minutes from 0 to 999999'},
        'rebuild_streaming_views': {'each': ids, 'rule': 'a list of model names'},
        'refresh_streaming_views': flag,
        'offline_compile': flag,
        'history_path': {'pattern': '.{1,4096}', 'rule': 'a file path on one line'},
        'history_schema': identifier,
        'label_delay_days': {'pattern': '[0-9]{1,3}', 'rule': 'a whole number of days from 0 to 999'},
        'feature_windows': {'each': '[1-9][0-9]{0,3}', 'rule': 'a list of whole numbers of days, 1 to 9999'},
        'features_rendering': {'pattern': 'native|portable', 'rule': 'native or portable'},
        'fraud_model': {'fields': {'name': ids, 'function': ids, 'inputs': ids},
            'rule': 'a name, a function and a list of inputs, each a lower-case identifier'},
        'fraud_model_plus': {'fields': {'name': ids, 'function': ids, 'extra_inputs': ids},
            'rule': 'a name, a function and a list of extra inputs, each a lower-case identifier'},
        'training_days': {'pattern': '[1-9][0-9]{0,4}', 'rule': 'a whole number of days, 1 or more'},
        'training_start': timestamp,
        'training_end': timestamp,
        'test_start': timestamp,
        'test_end': timestamp,
        'model_gate_days': {'pattern': '[1-9][0-9]{0,2}', 'rule': 'a whole number of days, 1 or more'},
        'model_gate_tolerance': fraction,
        'model_quality_floor': fraction,
        'retrain_models': {'each': ids, 'or_bool': true, 'rule': 'true, false or a list of model names'},
        'model_auto': flag,
        'model_type': {'pattern': '[a-z_]{1,32}', 'rule': 'a Redshift ML model type'},
        'model_objective': {'pattern': '[A-Za-z0-9_:]{1,64}', 'rule': 'a Redshift ML objective'},
        'model_hyperparameters': hyperparameters,
        'model_xgboost_hyperparameters': hyperparameters,
        'redshift_ml_s3_bucket': {'pattern': '|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]', 'rule': 'an S3 bucket name'},
        'model_max_runtime': {'pattern': '[0-9]{1,7}', 'rule': 'a number of seconds'},
        'model_max_cells': {'pattern': '[0-9]{1,12}', 'rule': 'a number of cells'},
        'model_kms_key_id': {'pattern': '[A-Za-z0-9:/_-]{1,2048}', 'rule': 'a KMS key id or ARN'},
        'prediction_readers': {'each': '((role|group|user):)?[A-Za-z_][A-Za-z0-9_$]{0,126}', 'or_string': true,
            'rule': 'a list of role:NAME, group:NAME or user:NAME'},
    }) }}
{% endmacro %}
