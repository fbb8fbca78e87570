{#- One row per version: on Redshift its model and functions and where it stands; on both
    targets, for a version trained on a sliding window (the var training_days), its training
    window and the gate's figures on the gate week, its own and the serving version's, and
    the decision's reason; and the share of genuine rows its training kept within MAX_CELLS
    (ml_model_training_sample). Locally a version is serving, refused (by the gate) or
    retired. -#}
{% macro ml_model_versions_create_sql(versions) %}
create table if not exists {{ versions }} (
    {%- for name, type in ml_model_versions_columns() %}
    {{ name }} {{ type }}{{ "," if not loop.last }}
    {%- endfor %}
)
{% endmacro %}


{#- The versions table's columns, oldest first, as (name, type): one list for the table and
    for a local warehouse made before the newer ones (ml_model_versions_upgrade_sql). -#}
{% macro ml_model_versions_columns() %}
    {{ return([
        ('model_name', 'varchar(128)'), ('version', 'integer'), ('redshift_model', 'varchar(128)'),
        ('function_name', 'varchar(128)'), ('fingerprint', 'varchar(64)'), ('is_auto', 'boolean'),
        ('status', 'varchar(16)'), ('reason', 'varchar(4096)'), ('created_at', 'timestamp'),
        ('training_start', 'timestamp'), ('training_end', 'timestamp'),
        ('gate_start', 'timestamp'), ('gate_end', 'timestamp'),
        ('average_precision', 'double precision'), ('card_precision_at_100', 'double precision'),
        ('serving_version', 'integer'), ('serving_average_precision', 'double precision'),
        ('serving_card_precision_at_100', 'double precision'),
        ('genuine_sample_rate', 'double precision'),
    ]) }}
{% endmacro %}


{#- Locally: a versions table made before a column was added gains it (DuckDB's ADD COLUMN
    IF NOT EXISTS), so a warehouse kept for months goes on. On Redshift, whose ALTER TABLE
    has no IF NOT EXISTS, docs/deploy.md lists the statements to run once. -#}
{% macro ml_model_versions_upgrade_sql(versions) %}
    {%- for name, type in ml_model_versions_columns() %}
alter table {{ versions }} add column if not exists {{ name }} {{ type }};
    {%- endfor %}
{% endmacro %}
