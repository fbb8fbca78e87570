-- Every ingested record is exactly one of: a transaction, a redelivery of one, or a reject.
-- Returns a row (fails) when the counts do not add up.

with

counts as (

    select
        (select count(*) from {{ ref('cust_payment_tx_stream') }}) as ingested,
        (select count(*) from {{ ref('stg_kinesis__transactions') }}) as transactions,
        (
            select count(*) from {{ ref('stg_kinesis__stream_records') }}
            where reject_reason is null and _delivery_number > 1
        ) as redeliveries,
        (select count(*) from {{ ref('stg_kinesis__rejects') }}) as rejects

)

select *
from counts
where ingested != transactions + redeliveries + rejects
