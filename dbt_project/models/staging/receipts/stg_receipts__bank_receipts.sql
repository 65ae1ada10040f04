-- One row per receipt file, as the OCR read it (CONTRACT §1.7). Re-prints are still separate rows here:
-- fct_bank_receipts merges them by receipt_ref.
with

source as (

    select * from {{ source('raw', 'bank_receipts') }}

),

final as (

    select
        _file_sha256 as file_sha256,
        source_file,
        source_kind,
        bank,
        receipt_no,
        txn_serial,
        cast(txn_date as {{ dbt.type_timestamp() }}) as txn_date,
        payer_name,
        payer_account,
        payer_bank,
        payee_name,
        payee_account,
        payee_bank,
        cast(amount as decimal(18, 2)) as amount,
        amount_in_words,
        amount_in_words_ok,
        purpose,
        summary,
        nullif(trim(order_nos), '') as order_nos,
        is_reprint,
        confidence,
        needs_review,
        review_reason,
        _loaded_at as loaded_at
    from source

)

select * from final
