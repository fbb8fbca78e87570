-- How many records the streaming view has ingested (the walkthrough's first check).
select count(*) as records_ingested
from {{ ref('cust_payment_tx_stream') }}
