-- One row per receipt file with the person corrections applied (docs/receipts.md).
-- A correction targets a file by its path (or bare file name), or every file of a 回单编号 (as read, or as
-- corrected by a file-keyed row). Per file and field the latest correction wins (确认时间, then file and
-- row order). A file with any correction or confirmation is confirmed: it no longer needs review.
with

receipts as (

    select * from {{ ref('stg_receipts__bank_receipts') }}

),

corrections as (

    select * from {{ ref('stg_receipts__corrections') }}

),

file_keyed_receipt_no as (

    select
        r.file_sha256,
        c.value as receipt_no,
        row_number() over (
            partition by r.file_sha256
            order by c.confirmed_at desc nulls last, c.corrections_file desc, c.row_number desc
        ) as correction_rank
    from receipts as r
    inner join corrections as c
        on c.field = 'receipt_no'
        and (
            c.target_file = r.source_file
            or r.source_file like {{ dbt.concat(["'%/'", 'c.target_file']) }}
        )

),

receipt_keys as (

    select
        r.file_sha256,
        r.source_file,
        coalesce(k.receipt_no, r.receipt_no) as receipt_no
    from receipts as r
    left join file_keyed_receipt_no as k
        on k.file_sha256 = r.file_sha256
        and k.correction_rank = 1

),

applicable as (

    select
        k.file_sha256,
        c.field,
        c.value,
        c.confirmed_by,
        c.confirmed_at,
        c.corrections_file,
        c.row_number
    from receipt_keys as k
    inner join corrections as c
        on c.target_file = k.source_file
        or k.source_file like {{ dbt.concat(["'%/'", 'c.target_file']) }}
        or (c.target_file is null and c.target_receipt_no = k.receipt_no)

),

latest_per_field as (

    select
        *,
        row_number() over (
            partition by file_sha256, field
            order by confirmed_at desc nulls last, corrections_file desc, row_number desc
        ) as field_rank,
        row_number() over (
            partition by file_sha256
            order by confirmed_at desc nulls last, corrections_file desc, row_number desc
        ) as file_rank
    from applicable

),

per_file as (

    select
        file_sha256,
        max(case when field = 'bank' then value end) as bank,
        max(case when field = 'receipt_no' then value end) as receipt_no,
        max(case when field = 'txn_serial' then value end) as txn_serial,
        max(case when field = 'txn_date' then value end) as txn_date,
        max(case when field = 'payer_name' then value end) as payer_name,
        max(case when field = 'payer_account' then value end) as payer_account,
        max(case when field = 'payee_name' then value end) as payee_name,
        max(case when field = 'payee_account' then value end) as payee_account,
        max(case when field = 'amount' then value end) as amount,
        max(case when field = 'order_nos' then 1 else 0 end) as has_order_nos,
        max(case when field = 'order_nos' then value end) as order_nos,
        max(case when file_rank = 1 then confirmed_by end) as confirmed_by,
        max(case when file_rank = 1 then confirmed_at end) as confirmed_at,
        count(*) as corrections
    from latest_per_field
    where field_rank = 1
    group by file_sha256

),

joined as (

    select
        r.file_sha256,
        r.source_file,
        r.source_kind,
        coalesce(c.bank, r.bank) as bank,
        coalesce(c.receipt_no, r.receipt_no) as receipt_no,
        coalesce(c.txn_serial, r.txn_serial) as txn_serial,
        coalesce(cast(c.txn_date as {{ dbt.type_timestamp() }}), r.txn_date) as txn_date,
        coalesce(c.payer_name, r.payer_name) as payer_name,
        coalesce(c.payer_account, r.payer_account) as payer_account,
        r.payer_bank,
        coalesce(c.payee_name, r.payee_name) as payee_name,
        coalesce(c.payee_account, r.payee_account) as payee_account,
        r.payee_bank,
        coalesce(cast(c.amount as decimal(18, 2)), r.amount) as amount,
        r.amount as amount_as_read,
        r.amount_in_words,
        r.amount_in_words_ok,
        r.purpose,
        r.summary,
        case when c.has_order_nos = 1 then c.order_nos else r.order_nos end as order_nos,
        r.is_reprint,
        r.confidence,
        c.file_sha256 is not null as is_confirmed,
        c.confirmed_by,
        c.confirmed_at,
        coalesce(c.corrections, 0) as corrections,
        r.needs_review as needs_review_as_read,
        r.review_reason as review_reason_as_read
    from receipts as r
    left join per_file as c
        on c.file_sha256 = r.file_sha256

),

final as (

    select
        case
            when bank is not null and receipt_no is not null
                then {{ dbt.concat(["'receipt:'", 'bank', "':'", 'receipt_no']) }}
            else {{ dbt.concat(["'receipt:file:'", 'file_sha256']) }}
        end as receipt_ref,
        *,
        needs_review_as_read and not is_confirmed as needs_review,
        case when is_confirmed then null else review_reason_as_read end as review_reason
    from joined

)

select * from final
