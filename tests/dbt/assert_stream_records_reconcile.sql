-- Nothing the stream delivered goes missing between the streaming view and staging. Returns a
-- row (fails) when:
-- - a record the ledger (stg_kinesis__stream_records) has taken is not exactly one of a
--   transaction, a redelivery of one, or a reject;
-- - a record of the streaming view from a refresh the ledger has taken is not in the ledger
--   (the view keeps the stream's retention only: older records were trimmed once taken).

with

ledger as (

    select
        count(*) as ledger_records,
        count(case when reject_reason is null and _delivery_number > 1 then 1 end)
            as redeliveries,
        max(_refreshed_at) as taken_through
    from {{ ref('stg_kinesis__stream_records') }}

),

counts as (

    select
        ledger.ledger_records,
        ledger.redeliveries,
        (select count(*) from {{ ref('stg_kinesis__transactions') }}) as transactions,
        (select count(*) from {{ ref('stg_kinesis__rejects') }}) as rejects,
        (
            select count(*)
            from {{ ref('cust_payment_tx_stream') }} as streamed
            left join {{ ref('stg_kinesis__stream_records') }} as stream_records
                on
                    streamed.shard_id = stream_records._shard_id
                    and streamed.sequence_number = stream_records._sequence_number
            where
                streamed.refresh_time <= ledger.taken_through
                and stream_records._shard_id is null
        ) as taken_but_missing
    from ledger

)

select *
from counts
where
    ledger_records != transactions + redeliveries + rejects
    or taken_but_missing > 0
