-- The Redshift shim: Redshift objects that dbt-redshift 1.11 and the fraud_detection project
-- use, created in a throwaway PostgreSQL 15 database (as superuser) by Rehearsal.
-- Each object cites the Redshift documentation page it emulates. Where:
--   * pg_catalog: Redshift's built-in functions and system views (found whatever the
--     search_path, as on Redshift). Needs allow_system_table_mods for relations.
--   * redshift_shim: the harness' own state (registries) and helper functions, plus
--     views shadowing pg_attribute / pg_views with Redshift's extra columns/rows (the
--     database search_path puts redshift_shim before pg_catalog; only unqualified
--     references are affected).

set allow_system_table_mods = on;
create schema if not exists redshift_shim;
grant usage on schema redshift_shim to public;
create extension if not exists plpython3u;

-- ============================================================================================
-- Harness state
-- ============================================================================================

-- Schemas created FROM KINESIS, and the stream relations created in them.
create table redshift_shim.kinesis_schemas (schema_name text primary key, iam_role text);
create table redshift_shim.kinesis_streams (
    schema_name text, stream_name text, primary key (schema_name, stream_name));
-- Per-shard read position, as Redshift's SYS_STREAM_SCAN_STATES.latest_position
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_SYS_STREAM_SCAN_STATES.html).
create table redshift_shim.stream_positions (
    schema_name text, stream_name text, shard_id text, latest_position text,
    primary key (schema_name, stream_name, shard_id));
-- Materialized view attributes PostgreSQL has no place for (AUTO REFRESH, BACKUP).
create table redshift_shim.mv_settings (
    schema_name text, mv_name text, auto_refresh boolean not null default false,
    backup boolean not null default true, primary key (schema_name, mv_name));
-- Identity kinds for SVV_RELATION_PRIVILEGES (PostgreSQL has only roles).
create table redshift_shim.identities (name text primary key, identity_type text not null);
-- Redshift ML models: CREATE MODEL is checked by create_model.py, trained by redshift_ml.py.
create table redshift_shim.ml_models (
    model_id serial primary key,
    schema_name text not null, model_name text not null, owner text not null,
    created_at timestamp not null default (now() at time zone 'utc'),
    from_query text not null, target text, spec jsonb not null,
    features jsonb not null,            -- [[name, type], ...] in the FROM query's order
    function_schema text not null, function_name text not null,
    state text not null, failure_reason text, training jsonb,
    unique (schema_name, model_name));

-- SYS_STREAM_SCAN_ERRORS: records Redshift could not ingest, e.g. Kinesis records of 1 MiB or
-- more ("Records that exceed this limit are not be processed. Records that are not processed
-- are logged as sys_stream_scan_errors",
-- https://docs.aws.amazon.com/streams/latest/dev/large-records.html; columns from
-- https://docs.aws.amazon.com/redshift/latest/dg/r_SYS_STREAM_SCAN_ERRORS.html).
-- A table here (the harness inserts); error_code/error_reason values are not documented.
create table pg_catalog.sys_stream_scan_errors (
    external_schema_name char(128), stream_name char(255), mv_name char(128),
    transaction_id bigint, query_id bigint, stream_timestamp_type char(1),
    stream_timestamp timestamp, record_time timestamp, partition_id char(128),
    "position" char(128), error_code integer, error_reason char(128));
grant select on pg_catalog.sys_stream_scan_errors to public;

-- ============================================================================================
-- Types and functions
-- ============================================================================================

-- SUPER, as jsonb (https://docs.aws.amazon.com/redshift/latest/dg/r_SUPER_type.html).
-- Differences: jsonb sorts object keys and normalises spacing; Redshift keeps them.
create domain pg_catalog.super as jsonb;

-- What JSON_PARSE refuses that jsonb takes. "Parsing options for SUPER"
-- (https://docs.aws.amazon.com/redshift/latest/dg/super-configurations.html#parsing-options-super):
-- "The same attribute name cannot appear in the same object, but can appear in a nested
-- object" (json_parse_dedup_attributes, off by default, would keep the last instead), and
-- "String values cannot exceed the system max varchar size of 65535 bytes"
-- (json_parse_truncate_strings, off by default, would truncate; attribute names are exempt).
-- jsonb keeps the last of two same-named attributes and takes strings of any length. The
-- reason, or null when the text is parsed as Redshift parses it (or is no JSON at all).
create function redshift_shim.json_parse_refusal(t text) returns text
language plpython3u immutable strict as $$
import json

def attributes(pairs):
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise LookupError("the same attribute name appears twice in an object")
    for _, value in pairs:
        if isinstance(value, str) and len(value.encode()) > 65535:
            raise LookupError("a string value exceeds 65535 bytes")
    return dict(pairs)

try:
    json.loads(t, object_pairs_hook=attributes)
except LookupError as refusal:
    return str(refusal)
except ValueError:
    return None
return None
$$;

-- CAN_JSON_PARSE({json_string | binary_value}): false for invalid JSON and for the empty
-- string, null for null (https://docs.aws.amazon.com/redshift/latest/dg/CAN_JSON_PARSE.html),
-- and false for what JSON_PARSE refuses (above).
create function pg_catalog.can_json_parse(text) returns boolean
language plpgsql immutable as $$
begin
    if $1 is null then return null; end if;
    if $1 = '' then return false; end if;
    perform $1::jsonb;
    return redshift_shim.json_parse_refusal($1) is null;
exception when others then
    return false;
end $$;
create function pg_catalog.can_json_parse(bytea) returns boolean
language plpgsql immutable as $$
begin
    return pg_catalog.can_json_parse(convert_from($1, 'UTF8'));
exception when others then          -- not UTF-8
    return false;
end $$;

-- JSON_PARSE({json_string | binary_value}) -> SUPER; errors on invalid JSON and on what
-- "Parsing options for SUPER" refuses (above)
-- (https://docs.aws.amazon.com/redshift/latest/dg/JSON_PARSE.html).
create function pg_catalog.json_parse(text) returns super
language plpgsql immutable strict as $$
declare
    refusal text := redshift_shim.json_parse_refusal($1);
begin
    if refusal is not null then
        raise exception 'JSON_PARSE: %', refusal;
    end if;
    return $1::jsonb::super;
end $$;
create function pg_catalog.json_parse(bytea) returns super
language sql immutable strict as $$ select pg_catalog.json_parse(convert_from($1, 'UTF8')) $$;

-- JSON_SERIALIZE(super) -> VARCHAR; "returns an error when the JSON format exceeds the
-- VARCHAR limit of the system" (65535 bytes, Character types page); a null gives 'null'
-- (https://docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html,
--  https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html).
-- The text is jsonb's (", " and ": " separators): a few bytes longer than Redshift's.
create function pg_catalog.json_serialize(jsonb) returns varchar
language plpgsql immutable as $$
declare
    t text := coalesce($1::text, 'null');
begin
    if octet_length(t) > 65535 then
        raise exception 'JSON_SERIALIZE: the result (% bytes) exceeds the VARCHAR limit of 65535 bytes',
            octet_length(t) using errcode = '22001';
    end if;
    return t;
end $$;

-- JSON_EXTRACT_PATH_TEXT('json_string', 'path_elem' [,...] [, null_if_invalid]): the value at
-- the path as text; '' when a path element does not exist; invalid JSON errors unless
-- null_if_invalid is true; 64KB input maximum
-- (https://docs.aws.amazon.com/redshift/latest/dg/JSON_EXTRACT_PATH_TEXT.html).
-- A JSON null at the path: undocumented; '' here.
create function redshift_shim.json_extract_path(j text, path text[], null_if_invalid boolean)
returns varchar language plpgsql immutable as $$
declare
    doc jsonb;
    v jsonb;
begin
    if j is null then return null; end if;
    if octet_length(j) > 65536 then
        raise exception 'JSON_EXTRACT_PATH_TEXT: the input exceeds the 64KB data-size maximum';
    end if;
    begin
        doc := j::jsonb;
    exception when others then
        if null_if_invalid then return null; end if;
        raise exception 'JSON parsing error: invalid JSON %', left(j, 60) using errcode = '22023';
    end;
    v := doc #> path;
    if v is null or jsonb_typeof(v) = 'null' then return ''; end if;
    return case when jsonb_typeof(v) = 'string' then v #>> '{}' else v::text end;
end $$;
do $$
declare
    n int;
    args text;
    keys text;
begin
    for n in 1..5 loop        -- up to 5 path elements, with and without null_if_invalid
        select string_agg('text', ', '), string_agg('$' || (i + 1), ', ')
          into args, keys from generate_series(1, n) i;
        execute format('create function pg_catalog.json_extract_path_text(text, %s) returns varchar '
            'language sql immutable as $f$ select redshift_shim.json_extract_path($1, array[%s], false) $f$',
            args, keys);
        execute format('create function pg_catalog.json_extract_path_text(text, %s, boolean) returns varchar '
            'language sql immutable as $f$ select redshift_shim.json_extract_path($1, array[%s], $%s) $f$',
            args, keys, n + 2);
    end loop;
end $$;

-- JSON_EXTRACT_ARRAY_ELEMENT_TEXT('json string', pos [, null_if_invalid]): the element at
-- the 0-based position; '' when negative or out of bounds
-- (https://docs.aws.amazon.com/redshift/latest/dg/JSON_EXTRACT_ARRAY_ELEMENT_TEXT.html).
create function pg_catalog.json_extract_array_element_text(j text, pos integer,
    null_if_invalid boolean default false)
returns varchar language plpgsql immutable as $$
declare
    doc jsonb;
    v jsonb;
begin
    if j is null or pos is null then return null; end if;
    begin
        doc := j::jsonb;
    exception when others then
        if null_if_invalid then return null; end if;
        raise exception 'JSON parsing error: invalid JSON array %', left(j, 60) using errcode = '22023';
    end;
    if jsonb_typeof(doc) <> 'array' or pos < 0 or pos >= jsonb_array_length(doc) then
        return '';
    end if;
    v := doc -> pos;
    if jsonb_typeof(v) = 'null' then return ''; end if;
    return case when jsonb_typeof(v) = 'string' then v #>> '{}' else v::text end;
end $$;

-- IS_OBJECT(super), IS_ARRAY(super), IS_SCALAR(super)
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_is_object.html,
--  https://docs.aws.amazon.com/redshift/latest/dg/r_is_array.html,
--  https://docs.aws.amazon.com/redshift/latest/dg/r_is_scalar.html).
create function pg_catalog.is_object(jsonb) returns boolean
language sql immutable strict as $$ select jsonb_typeof($1) = 'object' $$;
create function pg_catalog.is_array(jsonb) returns boolean
language sql immutable strict as $$ select jsonb_typeof($1) = 'array' $$;
create function pg_catalog.is_scalar(jsonb) returns boolean
language sql immutable strict as $$ select jsonb_typeof($1) not in ('object', 'array') $$;

-- IS_UTF8(varbyte): NOT in Redshift's SQL function reference, but AWS's own streaming
-- ingestion workshop uses it (github.com/aws-samples/amazon-redshift-streaming-workshop,
-- create_mv.sql: `WHERE is_utf8(Data) AND is_valid_json(...)`); provided because the project
-- calls it. True when the bytes decode as UTF-8.
create function pg_catalog.is_utf8(bytea) returns boolean
language plpgsql immutable strict as $$
begin
    perform convert_from($1, 'UTF8');
    return true;
exception when others then
    return false;
end $$;

-- FROM_VARBYTE(binary_value, format) -> VARCHAR; format hex, binary, utf8/utf-8/utf_8,
-- base64 (https://docs.aws.amazon.com/redshift/latest/dg/r_FROM_VARBYTE.html).
create function pg_catalog.from_varbyte(bytea, text) returns varchar
language plpgsql immutable strict as $$
begin
    case lower($2)
        when 'hex' then return encode($1, 'hex');
        when 'base64' then return replace(encode($1, 'base64'), E'\n', '');
        when 'utf8', 'utf-8', 'utf_8' then return convert_from($1, 'UTF8');
        when 'binary' then
            return (select coalesce(string_agg(lpad(get_byte($1, i)::bit(8)::text, 8, '0'), '' order by i), '')
                    from generate_series(0, length($1) - 1) i);
        else raise exception 'FROM_VARBYTE: invalid format %', $2;
    end case;
end $$;

-- LEN(expression): characters of a string, bytes of a VARBYTE
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_LEN.html).
create function pg_catalog.len(text) returns integer
language sql immutable strict as $$ select length($1) $$;
create function pg_catalog.len(bytea) returns integer
language sql immutable strict as $$ select octet_length($1) $$;

-- enable_case_sensitive_identifier, read as CURRENT_SETTING reads it (the bridge rewrites
-- current_setting('enable_case_sensitive_identifier') to this): off by default, "The case of
-- name identifiers is not preserved, and instead converted to lowercase, when you do not
-- enclose identifiers within double quotation marks or when you set
-- enable_case_sensitive_identifier to false"
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_enable_case_sensitive_identifier.html).
-- PostgreSQL takes custom settings only with a prefix: redshift.enable_case_sensitive_identifier.
create function redshift_shim.enable_case_sensitive_identifier() returns text
language sql stable as $$
    select coalesce(nullif(current_setting('redshift.enable_case_sensitive_identifier', true), ''), 'off')
$$;

-- GETDATE(): the current date and time of the session's time zone (UTC), "without
-- fractional seconds", at the start of the current statement, "even when it is within a
-- transaction block" (https://docs.aws.amazon.com/redshift/latest/dg/r_GETDATE.html):
-- PostgreSQL's statement_timestamp(), not localtimestamp (the transaction's start).
create function pg_catalog.getdate() returns timestamp
language sql stable as $$ select date_trunc('second', statement_timestamp()::timestamp) $$;

-- DATEADD(datepart, interval, {date|time|timestamp}) and DATEDIFF(datepart, a, b)
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_DATEADD_function.html,
--  https://docs.aws.amazon.com/redshift/latest/dg/r_DATEDIFF_function.html; dateparts:
--  https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html).
-- The bridge quotes the bare datepart (dateadd(day, ...) -> dateadd('day', ...)).
create function redshift_shim.datepart_unit(p text) returns text
language sql immutable strict as $$
    select case lower(p)
        when 'millennium' then 'millennium' when 'millennia' then 'millennium' when 'mil' then 'millennium' when 'mils' then 'millennium'
        when 'century' then 'century' when 'centuries' then 'century' when 'c' then 'century' when 'cent' then 'century' when 'cents' then 'century'
        when 'decade' then 'decade' when 'decades' then 'decade' when 'dec' then 'decade' when 'decs' then 'decade'
        when 'year' then 'year' when 'years' then 'year' when 'y' then 'year' when 'yr' then 'year' when 'yrs' then 'year' when 'yy' then 'year' when 'yyyy' then 'year'
        when 'quarter' then 'quarter' when 'quarters' then 'quarter' when 'qtr' then 'quarter' when 'qtrs' then 'quarter' when 'q' then 'quarter'
        when 'month' then 'month' when 'months' then 'month' when 'mon' then 'month' when 'mons' then 'month' when 'mm' then 'month'
        when 'week' then 'week' when 'weeks' then 'week' when 'w' then 'week'
        when 'day' then 'day' when 'days' then 'day' when 'd' then 'day' when 'dd' then 'day'
        when 'hour' then 'hour' when 'hours' then 'hour' when 'h' then 'hour' when 'hr' then 'hour' when 'hrs' then 'hour' when 'hh' then 'hour'
        when 'minute' then 'minute' when 'minutes' then 'minute' when 'm' then 'minute' when 'min' then 'minute' when 'mins' then 'minute' when 'mi' then 'minute'
        when 'second' then 'second' when 'seconds' then 'second' when 's' then 'second' when 'sec' then 'second' when 'secs' then 'second'
        when 'millisecond' then 'millisecond' when 'milliseconds' then 'millisecond' when 'ms' then 'millisecond' when 'msec' then 'millisecond' when 'msecs' then 'millisecond'
        when 'microsecond' then 'microsecond' when 'microseconds' then 'microsecond' when 'microsec' then 'microsecond' when 'us' then 'microsecond' when 'usec' then 'microsecond'
    end
$$;
create function pg_catalog.dateadd(text, bigint, timestamp) returns timestamp
language plpgsql immutable strict as $$
declare
    unit text := redshift_shim.datepart_unit($1);
begin
    if unit is null then raise exception 'DATEADD: invalid datepart %', $1; end if;
    if unit = 'quarter' then return $3 + make_interval(months => 3 * $2::int); end if;
    return $3 + ($2 || ' ' || unit)::interval;
end $$;
create function pg_catalog.dateadd(text, bigint, date) returns timestamp
language sql immutable strict as $$ select pg_catalog.dateadd($1, $2, $3::timestamp) $$;
create function pg_catalog.dateadd(text, bigint, timestamptz) returns timestamptz
language sql stable strict as $$
    select pg_catalog.dateadd($1, $2, $3 at time zone 'utc') at time zone 'utc' $$;
create function pg_catalog.datediff(text, timestamp, timestamp) returns bigint
language plpgsql immutable strict as $$
declare
    unit text := redshift_shim.datepart_unit($1);
begin
    case unit
        when 'year' then return extract(year from $3) - extract(year from $2);
        when 'quarter' then return (extract(year from $3) * 4 + extract(quarter from $3))
                                 - (extract(year from $2) * 4 + extract(quarter from $2));
        when 'month' then return (extract(year from $3) * 12 + extract(month from $3))
                               - (extract(year from $2) * 12 + extract(month from $2));
        when 'week' then return (date_trunc('week', $3)::date - date_trunc('week', $2)::date) / 7;
        when 'day' then return $3::date - $2::date;
        when 'hour' then return extract(epoch from date_trunc('hour', $3) - date_trunc('hour', $2))::bigint / 3600;
        when 'minute' then return extract(epoch from date_trunc('minute', $3) - date_trunc('minute', $2))::bigint / 60;
        when 'second' then return extract(epoch from date_trunc('second', $3) - date_trunc('second', $2))::bigint;
        when 'millisecond' then return floor(extract(epoch from date_trunc('milliseconds', $3) - date_trunc('milliseconds', $2)) * 1000)::bigint;
        when 'microsecond' then return floor(extract(epoch from $3 - $2) * 1000000)::bigint;
        else raise exception 'DATEDIFF: invalid datepart %', $1;
    end case;
end $$;
create function pg_catalog.datediff(text, date, date) returns bigint
language sql immutable strict as $$ select pg_catalog.datediff($1, $2::timestamp, $3::timestamp) $$;

-- ============================================================================================
-- Catalog objects dbt-redshift's own macros query
-- ============================================================================================

-- PG_GET_LATE_BINDING_VIEW_COLS(): "Returns the column metadata for all late-binding views"
-- (https://docs.aws.amazon.com/redshift/latest/dg/PG_GET_LATE_BINDING_VIEW_COLS.html).
-- PostgreSQL has no late-binding views (their columns are in pg_attribute already); what
-- dbt's queries miss are materialized views (relkind 'm', a view on Redshift): returned here.
create or replace function pg_catalog.pg_get_late_binding_view_cols()
returns setof record language sql stable as $$
    select n.nspname, c.relname, a.attname,
           pg_catalog.format_type(a.atttypid, a.atttypmod)::varchar, a.attnum::int
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid
    where c.relkind = 'm' and a.attnum > 0 and not a.attisdropped
      and has_table_privilege(c.oid, 'SELECT')
$$;

-- SVV_EXTERNAL_COLUMNS (https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_EXTERNAL_COLUMNS.html):
-- no Spectrum tables here; empty. The Kinesis stream relations are not listed either.
create or replace view pg_catalog.svv_external_columns as
select null::varchar(128) as schemaname, null::varchar(128) as tablename,
       null::varchar(128) as columnname, null::text as external_type, null::int as columnnum,
       null::int as part_key, null::text as is_nullable
where false;

-- SVV_TABLE_INFO (https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_TABLE_INFO.html):
-- tables and MVs with PostgreSQL's size/row estimates and Redshift defaults otherwise.
create or replace view pg_catalog.svv_table_info as
select current_database()::text as database, n.nspname::text as schema, c.oid::int as table_id,
       c.relname::text as "table", 'N'::char(1) as encoded,
       case when c.relkind = 'm' then 'EVEN' else 'AUTO(EVEN)' end::text as diststyle,
       null::text as sortkey1, 0::int as max_varchar, null::text as sortkey1_enc,
       0::int as sortkey_num,
       ceil(pg_catalog.pg_total_relation_size(c.oid) / 1048576.0)::bigint as size,
       0::numeric(10, 4) as pct_used, 0::bigint as empty, null::numeric(5, 2) as unsorted,
       0::numeric(5, 2) as stats_off, greatest(c.reltuples, 0)::numeric(38, 0) as tbl_rows,
       null::numeric(19, 2) as skew_sortkey1, null::numeric(19, 2) as skew_rows,
       greatest(c.reltuples, 0)::numeric(38, 0) as estimated_visible_rows,
       null::text as risk_event, null::text as vacuum_sort_benefit, null::timestamp as create_time
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'm')
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'redshift_shim')
  and n.nspname not like 'pg\_temp\_%';

-- SVV_MV_INFO (https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_MV_INFO.html): one row
-- per MV; autorefresh 't'/'f' from the MV's AUTO REFRESH clause (remembered by the bridge).
create or replace view pg_catalog.svv_mv_info as
select current_database()::char(128) as database_name, m.schemaname::char(128) as schema_name,
       m.matviewowner::char(128) as user_name, m.matviewname::char(128) as name,
       (case when m.ispopulated then 'f' else 't' end)::char(1) as is_stale,
       1::int as state, 'f'::char(1) as autorewrite,
       (case when coalesce(s.auto_refresh, false) then 't' else 'f' end)::char(1) as autorefresh
from pg_catalog.pg_matviews m
left join redshift_shim.mv_settings s on s.schema_name = m.schemaname and s.mv_name = m.matviewname;

-- STV_MV_INFO (https://docs.aws.amazon.com/redshift/latest/dg/r_STV_MV_INFO.html;
-- provisioned clusters only, like every STV table).
create or replace view pg_catalog.stv_mv_info as
select current_database()::char(128) as db_name, schema_name::char(128) as "schema",
       name::char(128) as name, 0::bigint as updated_upto_xid, is_stale,
       user_name::char(128) as owner_user_name, state, autorewrite, autorefresh
from pg_catalog.svv_mv_info;

-- INFORMATION_SCHEMA.VIEWS: on Redshift it lists MVs too, definition "create materialized
-- view ..."; dbt-redshift relies on that to see an existing MV.
do $shim$
begin
    execute 'create or replace view information_schema.views as '
        || rtrim(rtrim(pg_get_viewdef('information_schema.views'::regclass)), ';')
        || $sql$
  union all
  select current_database()::information_schema.sql_identifier,
    m.schemaname::information_schema.sql_identifier,
    m.matviewname::information_schema.sql_identifier,
    ('create materialized view ' || quote_ident(m.matviewname) || ' as ('
        || rtrim(m.definition, ';') || E'\n);')::information_schema.character_data,
    'NONE'::information_schema.character_data, 'NO'::information_schema.yes_or_no,
    'NO'::information_schema.yes_or_no, 'NO'::information_schema.yes_or_no,
    'NO'::information_schema.yes_or_no, 'NO'::information_schema.yes_or_no
  from pg_catalog.pg_matviews m
  where has_table_privilege(format('%I.%I', m.schemaname, m.matviewname), 'SELECT')
$sql$;
end
$shim$;

-- PG_ATTRIBUTE.ATTISDISTKEY / ATTSORTKEYORD and PG_VIEWS listing MVs, as on Redshift
-- (https://docs.aws.amazon.com/redshift/latest/dg/c_join_PG_examples.html); read unqualified
-- by redshift__describe_materialized_view.
create or replace view redshift_shim.pg_attribute as
select a.*, false as attisdistkey, 0::int as attsortkeyord from pg_catalog.pg_attribute a;
create or replace view redshift_shim.pg_views as
select * from pg_catalog.pg_views
union all
select m.schemaname, m.matviewname, m.matviewowner,
       'create materialized view ' || quote_ident(m.matviewname) || ' as ('
           || rtrim(m.definition, ';') || E'\n);'
from pg_catalog.pg_matviews m;

-- SVV_RELATION_PRIVILEGES (https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_RELATION_PRIVILEGES.html):
-- explicitly granted privileges on relations, from aclexplode(relacl); the owner's own
-- (implicit) privileges are left out. identity_type comes from Rehearsal.create_role (user
-- for other roles); Redshift's DROP privilege has no PostgreSQL counterpart.
-- dbt-redshift reads it with the flag redshift_grants_extended.
create or replace view pg_catalog.svv_relation_privileges as
select n.nspname::text as namespace_name, c.relname::text as relation_name,
       upper(a.privilege_type)::text as privilege_type, a.grantee::int as identity_id,
       case when a.grantee = 0 then 'public' else r.rolname end::text as identity_name,
       case when a.grantee = 0 then 'public' else coalesce(i.identity_type, 'user') end::text as identity_type,
       (a.is_grantable and coalesce(i.identity_type, 'user') = 'user') as admin_option
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
cross join lateral aclexplode(c.relacl) a
left join pg_catalog.pg_roles r on r.oid = a.grantee
left join redshift_shim.identities i on i.name = r.rolname
where c.relkind in ('r', 'v', 'm', 'p', 'f')
  and a.grantee <> c.relowner
  and a.privilege_type in ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REFERENCES')
  and n.nspname not in ('pg_catalog', 'information_schema', 'redshift_shim');

-- ============================================================================================
-- Redshift ML system views and SHOW MODEL (registry: redshift_shim.ml_models)
-- ============================================================================================

-- SVV_ML_MODEL_INFO (https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_ML_MODEL_INFO.html):
-- char(128)/char(20) columns, so values come back blank-padded as from Redshift.
-- model_state: 'Train Model On SageMaker In Progress' / 'Model is Ready' are the documented
-- examples; the failure value is NOT documented: redshift_ml.py's STATE_FAILED names none.
create or replace view pg_catalog.svv_ml_model_info as
select current_database()::char(128) as database_name, schema_name::char(128) as schema_name,
       owner::char(128) as user_name, model_name::char(128) as model_name,
       'Current'::char(20) as life_cycle, 0::integer as is_refreshable,
       state::char(128) as model_state
from redshift_shim.ml_models;
-- STV_ML_MODEL_INFO (https://docs.aws.amazon.com/redshift/latest/dg/r_STV_ML_MODEL_INFO.html):
-- the same without database_name. STV tables exist on provisioned clusters only: Redshift
-- Serverless refuses them (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-monitoring.html);
-- this rehearsal stands for a provisioned cluster.
create or replace view pg_catalog.stv_ml_model_info as
select schema_name, user_name, model_name, life_cycle, is_refreshable, model_state
from pg_catalog.svv_ml_model_info;

-- The CREATE MODEL statement, after the bridge parsed and validated its syntax: checks what
-- needs the session (schema, name, the FROM query and its columns), registers the model and
-- tells the harness (NOTIFY redshift_ml) to train it. Redshift runs the FROM query during
-- CREATE MODEL (it exports the data to S3), so its errors are the statement's errors.
create function redshift_shim.create_model(p_schema text, p_name text, p_query text,
    p_target text, p_function_schema text, p_function text, p_spec jsonb)
returns text language plpgsql as $$
declare
    v_schema text := coalesce(p_schema, current_schema());
    v_view text := 'redshift_ml_training_' || md5(random()::text);
    v_columns jsonb;
    v_features jsonb;
    v_rows bigint;
    v_args text;
    v_function text;
    v_returns text;
    v_id int;
begin
    if not exists (select 1 from pg_namespace where nspname = v_schema) then
        raise exception 'schema "%" does not exist', v_schema using errcode = '3F000';
    end if;
    if exists (select 1 from redshift_shim.ml_models where schema_name = v_schema and model_name = p_name) then
        raise exception 'Model "%" already exists', p_name using errcode = '42710';
    end if;
    execute format('create temporary view %I as select * from (%s) as training_data', v_view, p_query);
    select jsonb_agg(jsonb_build_array(a.attname, format_type(a.atttypid, a.atttypmod)) order by a.attnum)
      into v_columns
      from pg_attribute a where a.attrelid = v_view::regclass and a.attnum > 0;
    execute format('drop view %I', v_view);
    if p_target is not null and not exists (select 1 from jsonb_array_elements(v_columns) c where c->>0 = p_target) then
        raise exception 'Target column "%" is not in the FROM query''s columns', p_target
            using errcode = '42703';
    end if;
    if not coalesce((p_spec->>'auto')::boolean, true) then
        -- "AUTO OFF ... SMALLINT, INTEGER, BIGINT, DECIMAL, REAL, DOUBLE, BOOLEAN" (CREATE MODEL page)
        perform 1 from jsonb_array_elements(v_columns) c
         where split_part(c->>1, '(', 1) not in ('smallint', 'integer', 'bigint', 'numeric',
                                                 'real', 'double precision', 'boolean');
        if found then
            raise exception 'AUTO OFF supports only SMALLINT, INTEGER, BIGINT, DECIMAL, REAL, DOUBLE and BOOLEAN columns'
                using errcode = '0A000';
        end if;
    end if;
    -- "You must use at least 500 rows in the training data provided in the FROM clause"
    -- (https://docs.aws.amazon.com/redshift/latest/dg/r_create_model_usage_notes.html).
    execute format('select count(*) from (%s) as training_data', p_query) into v_rows;
    if v_rows < 500 then
        raise exception 'The training data has % rows; CREATE MODEL needs at least 500', v_rows
            using errcode = '22023';
    end if;
    select coalesce(jsonb_agg(c order by o), '[]') into v_features
      from jsonb_array_elements(v_columns) with ordinality e(c, o) where c->>0 is distinct from p_target;
    insert into redshift_shim.ml_models (schema_name, model_name, owner, from_query, target, spec,
        features, function_schema, function_name, state)
    values (v_schema, p_name, current_user, p_query, p_target, p_spec, v_features,
        coalesce(p_function_schema, v_schema), p_function, 'Train Model On SageMaker In Progress')
    returning model_id into v_id;
    -- "While training is in progress, the corresponding inference function is visible but
    -- can't be run" (https://docs.aws.amazon.com/redshift/latest/dg/r_create_model_usage_notes.html):
    -- the functions exist now and refuse; the training replaces their bodies (redshift_ml.py).
    -- Their parameters have the training columns' types (SHOW MODEL's "Function Parameter
    -- Types"), and return what redshift_shim.ml_functions says.
    v_args := redshift_shim.ml_function_arguments(v_features);
    for v_function, v_returns in select * from redshift_shim.ml_functions(p_function, p_spec) loop
        execute format('create function %I.%I(%s) returns %s language plpgsql stable as %L',
            coalesce(p_function_schema, v_schema), v_function, v_args, v_returns,
            format('begin raise exception %L using errcode = %L; end',
                   'Model ' || p_name || ' is not ready: training is in progress', '55000'));
    end loop;
    perform pg_notify('redshift_ml', v_id::text);
    return 'CREATE MODEL';
end $$;

-- The prediction functions' parameter list: the training columns' types, in order.
create function redshift_shim.ml_function_arguments(p_features jsonb)
returns text language sql immutable as $$
    select coalesce(string_agg(c->>1, ', ' order by o), '')
      from jsonb_array_elements(p_features) with ordinality e(c, o)
$$;

-- The prediction functions of a model and what each returns (the one place for both; the
-- training gives them their bodies, redshift_ml.py): the function, whose AUTO ON label is an
-- integer and whose AUTO OFF output is XGBoost's binary:logistic probability (undocumented:
-- the less convenient possibility), and, for AUTO ON binary classification only,
-- <function>_probabilities ("Amazon Redshift ML probability metrics",
-- https://docs.aws.amazon.com/redshift/latest/dg/getting-started-machine-learning.html#probability_metrics).
create function redshift_shim.ml_functions(p_function text, p_spec jsonb)
returns table (function_name text, returns text) language sql immutable as $$
    select p_function,
           case when coalesce((p_spec->>'auto')::boolean, true) then 'integer' else 'double precision' end
    union all
    select p_function || '_probabilities', 'super'
     where coalesce((p_spec->>'auto')::boolean, true)
       and upper(coalesce(p_spec->>'problem_type', 'BINARY_CLASSIFICATION')) = 'BINARY_CLASSIFICATION'
$$;

-- DROP MODEL [IF EXISTS] name: drops the prediction function(s) and the model; a training in
-- progress is cancelled (the harness sees the row gone)
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_MODEL.html). Functions are dropped
-- with PostgreSQL's RESTRICT: a view using them makes DROP MODEL fail. Redshift's behaviour
-- for views depending on ML functions is undocumented.
create function redshift_shim.drop_model(p_schema text, p_name text, p_if_exists boolean)
returns text language plpgsql as $$
declare
    m redshift_shim.ml_models;
    v_args text;
begin
    select * into m from redshift_shim.ml_models
     where schema_name = coalesce(p_schema, current_schema()) and model_name = p_name for update;
    if not found then
        if p_if_exists then
            raise notice 'Model "%" does not exist', p_name;
            return 'DROP MODEL';
        end if;
        raise exception 'Model "%" does not exist', p_name using errcode = '42704';
    end if;
    v_args := redshift_shim.ml_function_arguments(m.features);
    execute format('drop function if exists %I.%I(%s)', m.function_schema, m.function_name, v_args);
    execute format('drop function if exists %I.%I(%s)', m.function_schema,
                   m.function_name || '_probabilities', v_args);
    delete from redshift_shim.ml_models where model_id = m.model_id;
    return 'DROP MODEL';
end $$;

-- SHOW MODEL ( ALL | model_name ) (https://docs.aws.amazon.com/redshift/latest/dg/r_SHOW_MODEL.html):
-- Key | Value rows. The docs list "The reason message for a failed model" without naming
-- its key: it is 'Failure Reason' here. Model State is READY / TRAINING / FAILED.
create function redshift_shim.show_model(p_schema text, p_name text)
returns table ("Key" varchar, "Value" varchar) language plpgsql stable as $$
declare
    m redshift_shim.ml_models;
begin
    select * into m from redshift_shim.ml_models
     where schema_name = coalesce(p_schema, current_schema()) and model_name = p_name;
    if not found then
        raise exception 'Model "%" does not exist', p_name using errcode = '42704';
    end if;
    return query select k::varchar, v::varchar from (values
        (1, 'Model Name', m.model_name),
        (2, 'Schema Name', m.schema_name),
        (3, 'Owner', m.owner),
        (4, 'Creation Time', to_char(m.created_at, 'Dy, DD.MM.YYYY HH24:MI:SS')),
        (5, 'Model State', case when m.state = 'Model is Ready' then 'READY'
                                when m.failure_reason is not null then 'FAILED' else 'TRAINING' end),
        (6, 'Failure Reason', m.failure_reason),
        (7, 'validation:' || lower(coalesce(m.training->>'objective', '')), m.training->>'validation_objective_value'),
        (8, 'Estimated Cost', '0.000000'),
        (9, 'Training Data:', ''),
        (10, 'Query', m.from_query),
        (11, 'Target Column', upper(m.target)),
        (12, 'Parameters:', ''),
        (13, 'Model Type', lower(coalesce(m.spec->>'model_type', case when m.training is not null then m.training->>'learner' end, 'auto'))),
        (14, 'Problem Type', lower(coalesce(m.spec->>'problem_type', 'BinaryClassification'))),
        (15, 'Objective', coalesce(m.spec->>'objective', 'F1')),
        (16, 'AutoML Job Name', case when (m.spec->>'auto')::boolean then m.schema_name || '-' || m.model_name end),
        (17, 'Function Name', m.function_name),
        (18, 'Function Parameters', (select string_agg(c->>0, ' ') from jsonb_array_elements(m.features) c)),
        (19, 'Function Parameter Types', (select string_agg(t.typname, ' ' order by o)
            from jsonb_array_elements(m.features) with ordinality e(c, o)
            join pg_type t on t.oid = (c->>1)::regtype)),
        (20, 'IAM Role', m.spec->>'iam_role'),
        (21, 'S3 Bucket', m.spec->'settings'->>'s3_bucket'),
        (22, 'KMS Key', coalesce(m.spec->'settings'->>'kms_key_id', 'none')),
        (23, 'Max Runtime', coalesce(m.spec->'settings'->>'max_runtime', '5400'))
    ) as rows(o, k, v)
    where not (k = 'Failure Reason' and v is null)
      and not (k like 'validation:%' and v is null)
    order by o;
end $$;
create function redshift_shim.show_model_all()
returns table ("Schema Name" varchar, "Model Name" varchar) language sql stable as $$
    select schema_name::varchar, model_name::varchar from redshift_shim.ml_models order by 1, 2
$$;

-- ============================================================================================
-- Helpers the bridge rewrites Redshift statements into
-- ============================================================================================

-- CREATE EXTERNAL SCHEMA [IF NOT EXISTS] s FROM KINESIS IAM_ROLE ...
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html): a plain
-- schema, remembered as a Kinesis one (its relations are streams).
create function redshift_shim.create_kinesis_schema(p_schema text, p_if_not_exists boolean, p_iam_role text)
returns text language plpgsql as $$
begin
    if exists (select 1 from pg_namespace where nspname = p_schema) then
        if p_if_not_exists then
            raise notice 'schema "%" already exists, skipping', p_schema;
            return 'CREATE EXTERNAL SCHEMA';
        end if;
        raise exception 'schema "%" already exists', p_schema using errcode = '42P06';
    end if;
    execute format('create schema %I', p_schema);
    insert into redshift_shim.kinesis_schemas values (p_schema, p_iam_role)
        on conflict (schema_name) do update set iam_role = excluded.iam_role;
    return 'CREATE EXTERNAL SCHEMA';
end $$;

-- ALTER MATERIALIZED VIEW mv AUTO REFRESH { YES | NO }
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_MATERIALIZED_VIEW.html).
create function redshift_shim.set_mv_auto_refresh(p_mv text, p_auto boolean)
returns text language plpgsql as $$
declare
    v_oid regclass := p_mv::regclass;      -- errors when it does not exist
    v_schema text;
    v_name text;
begin
    select n.nspname, c.relname into v_schema, v_name from pg_class c
      join pg_namespace n on n.oid = c.relnamespace where c.oid = v_oid and c.relkind = 'm';
    if not found then
        raise exception '"%" is not a materialized view', p_mv using errcode = '42809';
    end if;
    insert into redshift_shim.mv_settings (schema_name, mv_name, auto_refresh) values (v_schema, v_name, p_auto)
        on conflict (schema_name, mv_name) do update set auto_refresh = excluded.auto_refresh;
    return 'ALTER MATERIALIZED VIEW';
end $$;

do $shim$
begin
    execute format('alter database %I set search_path = "$user", public, redshift_shim, pg_catalog',
                   current_database());
end
$shim$;

grant select on all tables in schema redshift_shim to public;
grant select on pg_catalog.svv_external_columns, pg_catalog.svv_table_info, pg_catalog.svv_mv_info,
    pg_catalog.stv_mv_info, pg_catalog.svv_relation_privileges, pg_catalog.svv_ml_model_info,
    pg_catalog.stv_ml_model_info to public;

reset allow_system_table_mods;


-- TRY_CAST(expression AS type): "If casting fails because of conversion errors, the operation
-- returns null" (https://docs.aws.amazon.com/redshift/latest/dg/r_TRY_CAST.html). PostgreSQL has
-- no TRY_CAST: the bridge rewrites TRY_CAST(e AS t) to CAST(try_cast_text(CAST(e AS text), 't')
-- AS t), which gives the text back when it casts to t, else null.
create or replace function redshift_shim.try_cast_text(value text, type_name text) returns text
language plpgsql stable as $$
begin
    if value is null then
        return null;
    end if;
    execute format('select cast(%L as %s)', value, type_name);
    return value;
exception when others then
    return null;
end
$$;
