-- The bank-receipt payment stream, one row per distinct receipt: the interface between fct_bank_receipts
-- (OCR) and the three-way match. A receipt scanned or re-printed several times counts once (fct_bank_receipts
-- merges re-prints already; should two rows share a receipt_ref anyway, the one that passed every check wins,
-- then the first file). Only receipts that need no review (or that a person confirmed: needs_review false
-- after corrections) count as payments; the others stay here with is_counted = false so that conservation
-- accounts for them. Payment time: txn_date (CMB prints the time of day; the other banks a date: 00:00).
with

receipts as (

    select * from {{ ref('fct_bank_receipts') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by receipt_ref
            order by case when needs_review = false then 0 else 1 end, source_file
        ) as copy_rank
    from receipts
    where receipt_ref is not null
        and txn_date <= {{ as_of() }}

),

final as (

    select
        receipt_ref as payment_ref,
        'receipt' as payment_kind,
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(txn_date as {{ dbt.type_timestamp() }}) as paid_at,
        cast(amount as decimal(18, 2)) as amount,
        payer_name,
        -- the order numbers named in 用途/摘要, in the order they are written
        {{ list_to_text('order_nos', "' '") }} as order_nos_named,
        coalesce(needs_review = false, false) and amount is not null as is_counted
    from ranked
    where copy_rank = 1

)

select * from final
