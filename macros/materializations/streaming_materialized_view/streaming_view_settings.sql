{#- The configs of a streaming materialized view (its config's meta), with their defaults,
    as one dict. -#}
{% macro streaming_view_settings() %}
    {%- set meta = config.get('meta') or {} -%}
    {%- set source_kind = meta.get('source_kind', 'kinesis') | lower -%}
    {%- if execute and source_kind not in ('kinesis', 'msk') -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": source_kind must be 'kinesis' or 'msk', got '" ~ source_kind ~ "'") }}
    {%- endif -%}
    {%- set msk_authentication = meta.get('msk_authentication', 'iam') | lower -%}
    {%- if execute and source_kind == 'msk' and not meta.get('msk_cluster_arn') -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": source_kind 'msk' needs the var msk_cluster_arn") }}
    {%- endif -%}
    {%- if execute and source_kind == 'msk' and msk_authentication not in ('none', 'iam', 'mtls') -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": the var msk_authentication must be none, iam or mtls, got '" ~ msk_authentication ~ "'") }}
    {%- endif -%}
    {%- if execute and source_kind == 'msk' and msk_authentication == 'mtls'
            and not (meta.get('msk_authentication_arn') or meta.get('msk_secret_arn')) -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": msk_authentication mtls needs the var msk_authentication_arn (an ACM"
            ~ " certificate ARN) or msk_secret_arn (a Secrets Manager secret ARN)") }}
    {%- endif -%}
    {#- The meta's values reach DDL as literals and identifiers: the vars' rules hold for them. -#}
    {%- set rules = var_rules() -%}
    {%- do checked_var_value('stream_name', meta.get('stream_name', project_var('stream_name')), rules['stream_name']) -%}
    {%- do checked_var_value('stream_external_schema', meta.get('external_schema', 'custpaytxn'), rules['stream_external_schema']) -%}
    {%- do checked_var_value('redshift_iam_role', meta.get('iam_role', project_var('redshift_iam_role', 'default')), rules['redshift_iam_role']) -%}
    {%- for key in ['msk_cluster_arn', 'msk_authentication_arn', 'msk_secret_arn'] -%}
        {%- do checked_var_value(key, meta.get(key), rules[key]) -%}
    {%- endfor -%}
    {{ return({
        'stream_name': meta.get('stream_name', project_var('stream_name')),
        'source_kind': source_kind,
        'external_schema': meta.get('external_schema', 'custpaytxn'),
        'iam_role': meta.get('iam_role', project_var('redshift_iam_role', 'default')),
        'msk_cluster_arn': meta.get('msk_cluster_arn'),
        'msk_authentication': msk_authentication,
        'msk_authentication_arn': meta.get('msk_authentication_arn'),
        'msk_secret_arn': meta.get('msk_secret_arn'),
        'auto_refresh': meta.get('auto_refresh', true),
        'backup': meta.get('backup', true),
    }) }}
{% endmacro %}


{#- What identifies a streaming view's definition: its SQL (comments and spacing aside) and
    the configs that are part of its DDL. auto_refresh and the IAM role are not: they can
    change without a rebuild. -#}
{% macro streaming_view_fingerprint(sql, settings) %}
    {%- set without_comments = modules.re.sub('--[^\\n]*', '', sql) -%}
    {%- set normalized = modules.re.sub('[\\s]+', ' ', without_comments).strip() -%}
    {%- set parts = [
        normalized,
        settings.stream_name,
        settings.source_kind,
        settings.external_schema,
        settings.msk_cluster_arn or '',
        settings.backup | string,
    ] -%}
    {{ return(local_md5(parts | join('|'))) }}
{% endmacro %}


{#- True when this run may drop and rebuild the view: --full-refresh together with the model
    named in the var rebuild_streaming_views. -#}
{% macro streaming_view_rebuild_requested() %}
    {%- set opted_in = model.name in project_var('rebuild_streaming_views', []) -%}
    {{ return(should_full_refresh() and opted_in) }}
{% endmacro %}


{#- Decide what a run does with a streaming view: 'create', 'refresh', 'skip' or 'rebuild';
    refuse (raise) when it would lose data without the opt-in. -#}
{% macro streaming_view_action(exists, stored_fingerprint, fingerprint, auto_refresh) %}
    {%- set rebuild_hint = "dbt run -s " ~ model.name ~ " --full-refresh --vars '{rebuild_streaming_views: [" ~ model.name ~ "]}'" -%}
    {%- set loss = "dropping it loses every record older than the stream's retention (24 h by default)" -%}
    {%- if streaming_view_rebuild_requested() -%}
        {{ return('rebuild' if exists else 'create') }}
    {%- elif not exists -%}
        {{ return('create') }}
    {%- elif should_full_refresh() -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": refused --full-refresh: " ~ loss ~ ". Nothing was changed. "
            ~ "Leave it out (--exclude " ~ model.name ~ "), or rebuild it deliberately: " ~ rebuild_hint) }}
    {%- elif stored_fingerprint is not none and stored_fingerprint != fingerprint -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": the model's SQL or configs changed since the streaming view was created "
            ~ "(definition " ~ stored_fingerprint[:8] ~ " in the warehouse, " ~ fingerprint[:8]
            ~ " in the project). A streaming view cannot be altered and " ~ loss
            ~ ". Revert the change, or rebuild it deliberately: " ~ rebuild_hint) }}
    {%- elif auto_refresh and not project_var('refresh_streaming_views', false) -%}
        {{ return('skip') }}
    {%- else -%}
        {{ return('refresh') }}
    {%- endif -%}
{% endmacro %}
