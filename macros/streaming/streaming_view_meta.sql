{#- A streaming view's config meta for stream ``stream_name``: how to reach the stream, from
    the vars every streaming view of the project shares (source kind, external schema, IAM
    role, MSK settings, auto refresh). streaming_view_settings checks them. -#}
{% macro streaming_view_meta(stream_name) %}
    {{ return({
        'stream_name': stream_name,
        'source_kind': project_var('stream_source_kind', 'kinesis'),
        'external_schema': project_var('stream_external_schema', 'custpaytxn'),
        'iam_role': project_var('redshift_iam_role'),
        'msk_cluster_arn': project_var('msk_cluster_arn', none),
        'msk_authentication': project_var('msk_authentication', 'iam'),
        'msk_authentication_arn': project_var('msk_authentication_arn', none),
        'msk_secret_arn': project_var('msk_secret_arn', none),
        'auto_refresh': project_var('stream_auto_refresh', true),
        'backup': true,
    }) }}
{% endmacro %}
