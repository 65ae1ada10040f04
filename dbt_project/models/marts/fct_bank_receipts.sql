-- One row per distinct bank e-receipt (CONTRACT §2, §1.7): re-prints (the same 回单编号 in several files)
-- are one receipt. Its values come from one file: a confirmed one first, then one that does not need
-- review, then the original before a re-print, the higher OCR confidence, the file name. When copies that
-- no person confirmed disagree on the amount, the receipt needs review.
with

files as (

    select * from {{ ref('int_bank_receipts_corrected') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by receipt_ref
            order by
                case when is_confirmed then 0 else 1 end,
                case when needs_review then 1 else 0 end,
                case when is_reprint then 1 else 0 end,
                confidence desc,
                source_file
        ) as copy_rank
    from files

),

copies as (

    select
        receipt_ref,
        count(*) as files,
        count(distinct amount) as amounts_read,
        min(amount) as min_amount,
        max(amount) as max_amount,
        max(case when is_confirmed then 1 else 0 end) as any_confirmed
    from files
    group by receipt_ref

),

final as (

    select
        r.receipt_ref,
        r.source_file,
        r.bank,
        r.receipt_no,
        r.txn_serial,
        r.txn_date,
        r.payer_name,
        r.payer_account,
        r.payee_name,
        r.payee_account,
        r.amount,
        r.amount_in_words_ok,
        {{ split_to_list('r.order_nos', "' '") }} as order_nos,
        r.confidence,
        case
            when c.any_confirmed = 1 then false
            when c.amounts_read > 1 then true
            else r.needs_review
        end as needs_review,
        case
            when c.any_confirmed = 1 then null
            when c.amounts_read > 1 then
                {{ dbt.concat([
                    "'copies of this receipt disagree on the amount ('",
                    dbt.safe_cast('c.min_amount', dbt.type_string()),
                    "' vs '",
                    dbt.safe_cast('c.max_amount', dbt.type_string()),
                    "')'",
                ]) }}
            else r.review_reason
        end as review_reason
    from ranked as r
    inner join copies as c
        on c.receipt_ref = r.receipt_ref
    where r.copy_rank = 1

)

select * from final
