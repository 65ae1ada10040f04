-- STAND-IN until the receipts branch (issue: bank e-receipt OCR wiring) is merged: on merge, take the
-- receipts branch's fct_bank_receipts.sql and delete this file's stand-in notes. Same public columns
-- (CONTRACT §2): one row per distinct receipt (receipt_ref = 'receipt:<BANK>:<回单编号>'), re-prints merged.
-- Reads raw.bank_receipts (one row per receipt file, the OCR record's fields) when that table exists,
-- else yields no rows, so the reconciliation builds on landing zones without receipts.
{% set raw_receipts = adapter.get_relation(database=target.database, schema='raw', identifier='bank_receipts') if execute else none %}
with

{% if raw_receipts %}
files as (

    select * from {{ raw_receipts }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by bank, receipt_no
            order by coalesce(print_count, 1), source_file
        ) as print_rank,
        count(*) over (partition by bank, receipt_no) as prints
    from files
    where bank is not null and receipt_no is not null

),

final as (

    select
        {{ dbt.concat(["'receipt:'", "bank", "':'", "receipt_no"]) }} as receipt_ref,
        source_file,
        bank,
        receipt_no,
        txn_serial,
        cast(txn_date as date) as txn_date,
        payer_name,
        payer_account,
        payee_name,
        cast(amount as decimal(18, 2)) as amount,
        amount_in_words_ok,
        order_nos,
        cast(confidence as double) as confidence,
        needs_review,
        review_reason
    from ranked
    where print_rank = 1

)
{% else %}
final as (

    select
        cast(null as varchar) as receipt_ref,
        cast(null as varchar) as source_file,
        cast(null as varchar) as bank,
        cast(null as varchar) as receipt_no,
        cast(null as varchar) as txn_serial,
        cast(null as date) as txn_date,
        cast(null as varchar) as payer_name,
        cast(null as varchar) as payer_account,
        cast(null as varchar) as payee_name,
        cast(null as decimal(18, 2)) as amount,
        cast(null as boolean) as amount_in_words_ok,
        cast(null as varchar[]) as order_nos,
        cast(null as double) as confidence,
        cast(null as boolean) as needs_review,
        cast(null as varchar) as review_reason
    where 1 = 0

)
{% endif %}

select * from final
