{#- Every statement a run issues on Redshift, for one action, in order. -#}
{% macro streaming_view_statements(action, relation, state, settings, sql, fingerprint, stored_auto_refresh, dependents=[]) %}
    {%- set statements = [] -%}
    {%- if action in ('create', 'rebuild') -%}
        {%- do statements.append(create_stream_schema_sql(settings)) -%}
        {%- if action == 'rebuild' -%}
            {#- DROP is RESTRICT by default: refused while a view is bound to it. The project's
                own views on it are late-binding (+bind: false) and bind to nothing; any bound
                view (a user's) is dropped first and made again afterwards, from its definition.
                https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-drop-sql-command.html -#}
            {%- for view in dependents | reverse -%}
                {%- do statements.append("drop view if exists " ~ view.schema ~ "." ~ view.name) -%}
            {%- endfor -%}
            {%- do statements.append("drop materialized view if exists " ~ relation) -%}
        {%- endif -%}
        {%- do statements.append(create_streaming_view_sql(relation, settings, sql)) -%}
        {%- for view in dependents -%}
            {%- do statements.append("create view " ~ view.schema ~ "." ~ view.name ~ " as " ~ view.definition | trim | trim(';')) -%}
        {%- endfor -%}
        {%- do statements.append(definition_state_forget_sql(state, relation)) -%}
        {%- do statements.append(definition_state_record_sql(state, relation, fingerprint, settings.auto_refresh)) -%}
    {%- else -%}
        {%- if stored_auto_refresh is not none and stored_auto_refresh != settings.auto_refresh -%}
            {#- AUTO REFRESH is the one property ALTER can change on a streaming view. -#}
            {%- do statements.append(
                "alter materialized view " ~ relation ~ " auto refresh " ~ ("yes" if settings.auto_refresh else "no")) -%}
            {%- do statements.append(definition_state_forget_sql(state, relation)) -%}
            {%- do statements.append(definition_state_record_sql(state, relation, fingerprint, settings.auto_refresh)) -%}
        {%- endif -%}
        {%- if action == 'refresh' -%}
            {%- do statements.append("refresh materialized view " ~ relation) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(statements) }}
{% endmacro %}


{#- CREATE EXTERNAL SCHEMA: Kinesis needs only the IAM role; MSK takes AUTHENTICATION none,
    iam or mtls, and mtls the ACM certificate (AUTHENTICATION_ARN) or the Secrets Manager
    secret (SECRET_ARN) that holds it.
    https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html -#}
{% macro create_stream_schema_sql(settings) -%}
    {%- set iam_role = "default" if settings.iam_role == "default" else "'" ~ settings.iam_role ~ "'" -%}
    {%- if settings.source_kind == 'msk' -%}
create external schema if not exists {{ settings.external_schema }}
from msk
iam_role {{ iam_role }}
authentication {{ settings.msk_authentication }}
        {%- if settings.msk_authentication_arn %}
authentication_arn '{{ settings.msk_authentication_arn }}'
        {%- elif settings.msk_secret_arn %}
secret_arn '{{ settings.msk_secret_arn }}'
        {%- endif %}
cluster_arn '{{ settings.msk_cluster_arn }}'
    {%- else -%}
create external schema if not exists {{ settings.external_schema }}
from kinesis
iam_role {{ iam_role }}
    {%- endif -%}
{%- endmacro %}


{% macro create_streaming_view_sql(relation, settings, sql) -%}
create materialized view {{ relation }}
backup {{ "yes" if settings.backup else "no" }}
auto refresh {{ "yes" if settings.auto_refresh else "no" }}
as
{{ sql }}
{%- endmacro %}
