{#- Redshift folds identifiers to lower case, quoted ones too, unless
    enable_case_sensitive_identifier is on, and stream names are case sensitive: "To ingest
    from streams with uppercase names, you can set the configuration
    enable_case_sensitive_identifier to true at the database level"; automatic refreshes
    need it there ("Setting enable_case_sensitive_identifier at the user level isn't
    sufficient for automatic refreshes"). A stream name with upper-case letters is refused in
    one line unless the setting is on.
    https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started.html
    https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion.html
    https://docs.aws.amazon.com/redshift/latest/dg/r_enable_case_sensitive_identifier.html
    https://docs.aws.amazon.com/redshift/latest/dg/r_CURRENT_SETTING.html -#}
{% macro redshift_stream_name_case_check(settings) %}
    {%- if not execute or settings.stream_name == settings.stream_name | lower -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set setting = run_query("select current_setting('enable_case_sensitive_identifier')").rows[0][0] -%}
    {%- if (setting | string | trim | lower) not in ('on', 'true') -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": the stream name '" ~ settings.stream_name ~ "' has upper-case letters,"
            ~ " which Redshift folds to lower case while enable_case_sensitive_identifier is off:"
            ~ " set it to true at the database level (automatic refreshes need it there), or use a lower-case stream name") }}
    {%- endif -%}
{% endmacro %}
