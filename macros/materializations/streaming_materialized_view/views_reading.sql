{#- The views bound to a relation, directly or through other views, in an order they can be
    created in (each after what it reads): [{schema, name, definition}]. The dependencies are
    read as dbt-redshift's own relations query reads them (pg_depend through pg_rewrite), the
    definitions from PG_VIEWS. Late-binding views are bound to nothing, so never listed.
    https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_TABLE.html (finding dependent views) -#}
{% macro views_reading(relation) %}
    {%- set views = {} -%}
    {%- set edges = [] -%}
    {%- set frontier = [(relation.schema, relation.identifier)] -%}
    {%- for level in range(10) -%}
        {%- if frontier -%}
            {%- set found = run_query(views_reading_sql(frontier)).rows -%}
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


{% macro views_reading_sql(relations) %}
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
