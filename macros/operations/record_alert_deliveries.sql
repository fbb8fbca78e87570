{#- Moves the delivery marks of the alert queue: for each sink, the newest alert it took.
    Called by the alert delivery (fraud_detection.alerts.marks) as
    `dbt run-operation record_alert_deliveries --args '{marks: [...]}'`, once per delivery, in
    one transaction: every sink's mark moves, or none. A mark with a null queued_at means "from
    the start of the queue". DELETE and INSERT ... VALUES are plain SQL on both targets:
    https://docs.aws.amazon.com/redshift/latest/dg/r_DELETE.html
    https://docs.aws.amazon.com/redshift/latest/dg/r_INSERT_30.html -#}
{% macro record_alert_deliveries(marks) %}
    {%- set deliveries = ref('fraud_alert_deliveries') %}
    {%- set sinks = [] %}
    {%- set rows = [] %}
    {%- for mark in marks %}
        {%- set sink = "'" ~ checked_argument('sink', mark['sink'], '[a-z]+', 'a sink name') ~ "'" %}
        {%- set at = checked_argument('queued_at', mark['queued_at'],
            '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?',
            'a timestamp, YYYY-MM-DD HH:MM:SS[.ffffff]') %}
        {%- set transaction_id = checked_argument('transaction_id', mark['transaction_id'],
            '[0-9]{1,19}', 'a transaction id') %}
        {%- do sinks.append(sink) %}
        {%- do rows.append("(" ~ sink ~ ", "
            ~ ("null" if at is none else "cast('" ~ at ~ "' as timestamp)") ~ ", "
            ~ ("null" if transaction_id is none else transaction_id) ~ ", "
            ~ dbt.current_timestamp() ~ ")") %}
    {%- endfor %}
    {%- if rows %}
        {%- call statement('forget_marks', auto_begin=True) %}
            delete from {{ deliveries }} where sink in ({{ sinks | join(', ') }})
        {%- endcall %}
        {%- call statement('record_marks', auto_begin=True) %}
            insert into {{ deliveries }}
                (sink, delivered_through_queued_at, delivered_through_transaction_id, delivered_at)
            values {{ rows | join(', ') }}
        {%- endcall %}
        {%- do adapter.commit() %}
    {%- endif %}
{% endmacro %}
