{#- An incremental model's WHERE clause: the rows whose _refreshed_at is newer than any the
    model already holds, so each run takes only what the streaming view's refreshes added.
    coalesce: a first run over an empty stream leaves the model empty, and `> null` would then
    never be true. Nothing on a first run or a full refresh. An offline compile (var
    offline_compile) renders the incremental path without asking the warehouse whether the
    model exists, as is_incremental() would. -#}
{% macro refreshed_since_last_run(column) -%}
    {%- if var('offline_compile', false) or is_incremental() -%}
        where {{ column }} > (
            select coalesce(max(previous_run._refreshed_at), cast('1900-01-01' as timestamp))
            from {{ this }} as previous_run
        )
    {%- endif -%}
{%- endmacro %}
