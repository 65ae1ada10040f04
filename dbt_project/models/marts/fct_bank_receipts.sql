-- One row per distinct bank e-receipt (CONTRACT §2, §1.7): re-prints (the same 回单编号 in several files)
-- are one receipt. Its values come from one file: a confirmed one first, then one that does not need
-- review, then the original before a re-print, the higher OCR confidence, the file name. Copies are
-- matched by receipt_ref, and by bank + serial (流水号) so that a copy whose 回单编号 was misread still
-- merges. When copies that no person confirmed disagree on the amount or the number, it needs review.
with

files as (

    select * from {{ ref('int_bank_receipts_corrected') }}

),

best_first as (

    select
        *,
        row_number() over (
            partition by bank, txn_serial
            order by
                case when is_confirmed then 0 else 1 end,
                case when needs_review then 1 else 0 end,
                case when is_reprint then 1 else 0 end,
                confidence desc,
                source_file
        ) as serial_rank
    from files

),

serial_refs as (

    -- copies of one payment share its serial (流水号): a copy whose 回单编号 was misread still merges
    select bank, txn_serial, receipt_ref as serial_ref
    from best_first
    where serial_rank = 1
        and bank is not null
        and txn_serial is not null

),

merged as (

    select
        f.file_sha256,
        f.source_file,
        f.bank,
        f.receipt_no,
        f.txn_serial,
        f.txn_date,
        f.payer_name,
        f.payer_account,
        f.payee_name,
        f.payee_account,
        f.amount,
        f.amount_in_words_ok,
        f.order_nos,
        f.confidence,
        f.is_reprint,
        f.is_confirmed,
        f.needs_review,
        f.review_reason,
        f.receipt_ref as receipt_ref_read,
        coalesce(s.serial_ref, f.receipt_ref) as receipt_ref
    from files as f
    left join serial_refs as s
        on s.bank = f.bank
        and s.txn_serial = f.txn_serial

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
    from merged

),

copies as (

    select
        receipt_ref,
        count(*) as files,
        count(distinct receipt_ref_read) as receipt_refs_read,
        count(distinct amount) as amounts_read,
        min(amount) as min_amount,
        max(amount) as max_amount,
        max(case when is_confirmed then 1 else 0 end) as any_confirmed
    from merged
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
            when c.amounts_read > 1 or c.receipt_refs_read > 1 then true
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
            when c.receipt_refs_read > 1 then 'copies of this receipt (same serial) disagree on the receipt number'
            else r.review_reason
        end as review_reason
    from ranked as r
    inner join copies as c
        on c.receipt_ref = r.receipt_ref
    where r.copy_rank = 1

)

select * from final
