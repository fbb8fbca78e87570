{#-
    streaming_materialized_view: a materialized view over a Kinesis (or MSK) stream that is
    never dropped by accident. Unlike dbt's materialized_view it
    - creates the view once, with AUTO REFRESH, and afterwards only refreshes it (Redshift
      skips even that while auto refresh is on, unless var refresh_streaming_views is true);
    - refuses --full-refresh, and refuses a changed definition, since a drop loses every
      record older than the stream's retention; rebuilding needs --full-refresh together with
      the model named in var rebuild_streaming_views;
    - runs its DDL outside a transaction (Redshift forbids CREATE EXTERNAL SCHEMA and a
      streaming view's CREATE/REFRESH inside one).
    Locally (DuckDB) the view is a table that each run appends the stream's new records to,
    in one statement: the stored rows are the checkpoint, so a refresh is exactly-once.
-#}

{% materialization streaming_materialized_view, default %}
    {{ exceptions.raise_compiler_error(
        "streaming_materialized_view is not implemented for " ~ target.type) }}
{% endmaterialization %}
