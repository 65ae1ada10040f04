-- Materialised as a table, not a view like the rest of staging: its dedup ran again for each of its readers
-- (int_payments_unioned, fct_aftersales) and each of its data tests; as a table once (issue 6, bench/RESULTS.md).
-- Incremental (issue 11): a run recomputes only the settlement bills (platform + 结算单号) with a row loaded
-- since the last build; a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key=['platform', 'settlement_no'],
) }}

-- Platform settlement rows (the payment stream for platform orders), all platforms in one
-- relation. A settlement row seen in several files (re-exported bills) counts once: one row per
-- platform + 结算单号 + 订单号, from its latest export. Refunds after settlement stay as negative rows.
with

settlements_douyin as (

    select * from {{ source('raw', 'settlements_douyin') }}
    {{ changed_keys_filter('settlement_no', source('raw', 'settlements_douyin')) }}

),

settlements_pinduoduo as (

    select * from {{ source('raw', 'settlements_pinduoduo') }}
    {{ changed_keys_filter('settlement_no', source('raw', 'settlements_pinduoduo')) }}

),

settlements_taobao as (

    select * from {{ source('raw', 'settlements_taobao') }}
    {{ changed_keys_filter('settlement_no', source('raw', 'settlements_taobao')) }}

),

settlements_miniprogram as (

    select * from {{ source('raw', 'settlements_miniprogram') }}
    {{ changed_keys_filter('settlement_no', source('raw', 'settlements_miniprogram')) }}

),

settlements_erp as (

    select * from {{ source('raw', 'settlements_erp') }}
    {{ changed_keys_filter('settlement_no', source('raw', 'settlements_erp')) }}

),

unioned as (

    {% for relation in ['settlements_douyin', 'settlements_pinduoduo', 'settlements_taobao',
                        'settlements_miniprogram', 'settlements_erp'] %}
    select
        platform,
        settlement_no,
        order_no,
        settled_at,
        amount,
        remark,
        _source_file,
        _row_number,
        _file_sha256,
        _export_time,
        _loaded_at
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by platform, settlement_no, order_no
            order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number
        ) as copy_rank
    from unioned

),

final as (

    select
        platform,
        {{ dbt.concat(["'settlement:'", "platform", "':'", "settlement_no"]) }} as payment_ref,
        settlement_no,
        order_no,
        {{ dbt.concat(["platform", "':'", "order_no"]) }} as order_key,
        settled_at,
        amount,
        remark,
        _source_file,
        _row_number,
        _export_time,
        _loaded_at
    from ranked
    where copy_rank = 1

)

select * from final
