-- The day's pending pool for finance: every pending row of fct_three_way_match, for report_date = the
-- date of the run's as_of. The morning report of day D is the run with as_of = D 09:00 (the pool "as of
-- 09:00 that day"); `orderlens export differences --date D` exports it from the published snapshot.
-- detail says, in Chinese, what is wrong and what the responsible team should check.
with

matches as (

    select * from {{ ref('fct_three_way_match') }}
    where match_status = 'pending'

),

final as (

    select
        cast({{ as_of() }} as date) as report_date,
        {{ as_of() }} as as_of,
        difference_type,
        responsible_team,
        match_key,
        order_no,
        tracking_nos,
        payment_refs,
        order_amount,
        paid_amount,
        case difference_type
            when 'order_without_logistics' then
                {{ dbt.concat(["'已付款/已下单，未见物流单号（发货遗漏？）；付款/下单时间 '",
                               "coalesce(cast(item_at as " ~ dbt.type_string() ~ "), '')"]) }}
            when 'logistics_without_payment' then
                '已发货，未见指向该订单的回单或结算（客户拖欠/未结算）'
            when 'logistics_not_signed' then
                {{ dbt.concat(["'已收款，物流未签收；最新状态 '", kuaidi100_state_name('logistics_state')]) }}
            when 'amount_mismatch' then
                {{ dbt.concat(["'到账 '", "cast(paid_amount as " ~ dbt.type_string() ~ ")",
                               "' 元，订单 '", "cast(order_amount as " ~ dbt.type_string() ~ ")",
                               "' 元，差额 '", "cast(cast(paid_amount - order_amount as decimal(18, 2)) as "
                               ~ dbt.type_string() ~ ")", "' 元'"]) }}
            when 'payment_without_order' then
                {{ dbt.concat(["'到账未指向已知订单（错打款需退）；付款人 '", "coalesce(payer_name, '未识别')",
                               "'；用途中的订单号 '", "coalesce(order_no, '无')"]) }}
            when 'logistics_without_order' then
                {{ dbt.concat(["'物流单号不属于任何订单；最新状态 '", kuaidi100_state_name('logistics_state')]) }}
        end as detail
    from matches

)

select * from final
