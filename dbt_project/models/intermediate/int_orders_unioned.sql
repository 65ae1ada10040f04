-- One row per order from all five platforms (current state: each staging model keeps the latest export).
-- customer_key: a hash of the most stable non-PII-revealing buyer identity each export carries, scoped by
-- platform (no cross-platform identity exists): 抖店/拼多多 receiver name + masked phone, 淘宝 买家会员名,
-- 有赞 encrypted receiver tel (+ name), ERP 客户编码. Never shown in clear; equal keys = same buyer (best effort).
with

douyin_lines as (

    select * from {{ ref('stg_douyin__order_lines') }}

),

douyin as (

    select
        order_key,
        'douyin' as platform,
        order_no,
        {{ dbt.hash(dbt.concat(["'douyin|'", "coalesce(max(receiver_name), '')", "'|'", "coalesce(max(receiver_phone), '')"])) }}
            as customer_key,
        case
            when max(room_id) is not null then '直播'
            when max(video_id) is not null then '短视频'
            else '其他'
        end as channel,
        coalesce(max(room_id), max(video_id)) as channel_id,
        min(created_at) as created_at,
        min(paid_at) as paid_at,
        max(status) as platform_status,
        max(order_amount) as order_amount,
        max(tracking_nos) as platform_tracking_nos,
        min(shipped_at) as platform_shipped_at
    from douyin_lines
    group by order_key, order_no

),

pinduoduo as (

    select
        order_key,
        'pinduoduo' as platform,
        order_no,
        {{ dbt.hash(dbt.concat(["'pinduoduo|'", "coalesce(receiver_name, '')", "'|'", "coalesce(receiver_phone, '')"])) }}
            as customer_key,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as channel_id,
        created_at,
        paid_at,
        status as platform_status,
        order_amount,
        tracking_nos as platform_tracking_nos,
        shipped_at as platform_shipped_at
    from {{ ref('stg_pinduoduo__orders') }}

),

taobao as (

    select
        order_key,
        'taobao' as platform,
        order_no,
        {{ dbt.hash(dbt.concat(["'taobao|'", "coalesce(buyer_nick, '')"])) }} as customer_key,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as channel_id,
        created_at,
        paid_at,
        status as platform_status,
        order_amount,
        tracking_nos as platform_tracking_nos,
        -- the 订单报表 has no shipping time
        cast(null as {{ dbt.type_timestamp() }}) as platform_shipped_at
    from {{ ref('stg_taobao__orders') }}

),

miniprogram_lines as (

    select * from {{ ref('stg_miniprogram__order_lines') }}

),

miniprogram as (

    select
        order_key,
        'miniprogram' as platform,
        order_no,
        {{ dbt.hash(dbt.concat(["'miniprogram|'", "coalesce(max(receiver_name), '')", "'|'", "coalesce(max(receiver_phone), '')"])) }}
            as customer_key,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as channel_id,
        min(created_at) as created_at,
        min(paid_at) as paid_at,
        max(status) as platform_status,
        max(order_amount) as order_amount,
        max(tracking_nos) as platform_tracking_nos,
        min(shipped_at) as platform_shipped_at
    from miniprogram_lines
    group by order_key, order_no

),

erp_lines as (

    select * from {{ ref('stg_erp__order_lines') }}

),

erp as (

    select
        order_key,
        'erp' as platform,
        order_no,
        {{ dbt.hash(dbt.concat(["'erp|'", "coalesce(max(customer_code), '')"])) }} as customer_key,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as channel_id,
        min(created_at) as created_at,
        -- B2B orders are fulfilled on account: paid_at is 下单时间
        min(paid_at) as paid_at,
        max(status) as platform_status,
        max(order_amount) as order_amount,
        cast(null as {{ dbt.type_string() }}) as platform_tracking_nos,
        cast(null as {{ dbt.type_timestamp() }}) as platform_shipped_at
    from erp_lines
    group by order_key, order_no

),

final as (

    select * from douyin
    union all
    select * from pinduoduo
    union all
    select * from taobao
    union all
    select * from miniprogram
    union all
    select * from erp

)

select * from final
