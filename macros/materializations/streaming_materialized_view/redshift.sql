{#- streaming_materialized_view on Redshift: see default.sql for what it does on every adapter. -#}

{% materialization streaming_materialized_view, adapter='redshift' %}
    {%- set target_relation = this.incorporate(type='materialized_view') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set settings = streaming_view_settings() -%}
    {%- set state = definition_state_relation(this) -%}
    {%- set fingerprint = streaming_view_fingerprint(sql, settings) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% call statement('create_state', auto_begin=False) %}
        {{ definition_state_create_sql(state) }}
    {% endcall %}
    {%- set stored = definition_state_stored(state, this) -%}
    {%- set action = streaming_view_action(
        existing_relation is not none, stored[0], fingerprint, settings.auto_refresh) -%}
    {%- set dependents = redshift__views_reading(target_relation) if action == 'rebuild' else [] -%}
    {%- set statements = redshift__streaming_view_statements(
        action, target_relation, state, settings, sql, fingerprint, stored[1], dependents) -%}
    {{ log(model.name ~ ": " ~ action ~ (" (auto refresh is on)" if action == 'skip' else ""), info=true) }}

    {%- for statement_sql in statements %}
        {% call statement('main' if loop.last else 'step_' ~ loop.index, auto_begin=False) %}
            {{ statement_sql }}
        {% endcall %}
    {%- else %}
        {{ materialization_noop_main(action) }}
    {%- endfor %}

    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- Every statement a run issues on Redshift, for one action, in order. -#}
{% macro redshift__streaming_view_statements(action, relation, state, settings, sql, fingerprint, stored_auto_refresh, dependents=[]) %}
    {%- set statements = [] -%}
    {%- if action in ('create', 'rebuild') -%}
        {%- do statements.append(redshift__create_stream_schema_sql(settings)) -%}
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
        {%- do statements.append(redshift__create_streaming_view_sql(relation, settings, sql)) -%}
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
{% macro redshift__create_stream_schema_sql(settings) -%}
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


{% macro redshift__create_streaming_view_sql(relation, settings, sql) -%}
create materialized view {{ relation }}
backup {{ "yes" if settings.backup else "no" }}
auto refresh {{ "yes" if settings.auto_refresh else "no" }}
as
{{ sql }}
{%- endmacro %}


{#- The views bound to a relation, directly or through other views, in an order they can be
    created in (each after what it reads): [{schema, name, definition}]. The dependencies are
    read as dbt-redshift's own relations query reads them (pg_depend through pg_rewrite), the
    definitions from PG_VIEWS. Late-binding views are bound to nothing, so never listed.
    https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_TABLE.html (finding dependent views) -#}
{% macro redshift__views_reading(relation) %}
    {%- set views = {} -%}
    {%- set edges = [] -%}
    {%- set frontier = [(relation.schema, relation.identifier)] -%}
    {%- for level in range(10) -%}
        {%- if frontier -%}
            {%- set found = run_query(redshift__views_reading_sql(frontier)).rows -%}
            {%- do frontier.clear() -%}
            {%- for row in found -%}
                {%- set key = row[2] ~ '.' ~ row[3] -%}
                {%- do edges.append((row[0] ~ '.' ~ row[1], key)) -%}
                {%- if key not in views -%}
                    {%- do views.update({key: {'schema': row[2], 'name': row[3], 'definition': row[4], 'depth': 1}}) -%}
                    {%- do frontier.append((row[2], row[3])) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {#- The longest path from the relation: a view comes after everything it reads. -#}
    {%- for _ in range(10) -%}
        {%- for reference, key in edges if reference in views and views[key].depth <= views[reference].depth -%}
            {%- do views[key].update({'depth': views[reference].depth + 1}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(views.values() | sort(attribute='depth') | list) }}
{% endmacro %}


{% macro redshift__views_reading_sql(relations) %}
select distinct
    referenced_schema.nspname as referenced_schema,
    referenced.relname as referenced_name,
    dependent_schema.nspname as dependent_schema,
    dependent.relname as dependent_name,
    pg_views.definition
from pg_depend
inner join pg_rewrite on pg_depend.objid = pg_rewrite.oid
inner join pg_class as dependent on pg_rewrite.ev_class = dependent.oid
inner join pg_namespace as dependent_schema on dependent.relnamespace = dependent_schema.oid
inner join pg_class as referenced on pg_depend.refobjid = referenced.oid
inner join pg_namespace as referenced_schema on referenced.relnamespace = referenced_schema.oid
inner join pg_views
    on pg_views.schemaname = dependent_schema.nspname and pg_views.viewname = dependent.relname
where dependent.oid != referenced.oid
    and (
    {%- for schema, name in relations %}
        {{ "or " if not loop.first }}(referenced_schema.nspname = '{{ schema }}' and referenced.relname = '{{ name }}')
    {%- endfor %}
    )
{% endmacro %}
