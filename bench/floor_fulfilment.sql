-- The floor of issue 6: the six fulfilment marts computed from the raw tables by one hand-written DuckDB
-- script, the way an analyst would write it for speed (DuckDB-only syntax: QUALIFY, FILTER, struct min/max,
-- arg_min, unnest; not a model). bench/bench_dbt_build.py runs it on a fresh copy of the ingested warehouse,
-- after `SET VARIABLE as_of = TIMESTAMP '…'`, and checks with EXCEPT ALL both ways that every mart equals
-- the dbt build's, row for row, column for column.
--
-- Same rules as the dbt models (CONTRACT §2.1; the models' header comments are the spec), written once:
-- every big raw table is read once for what the marts need, and only the relations read twice become temp
-- tables. It writes marts.fct_orders, fct_order_lines, fct_fulfillment_heatmap, fct_sla_alerts,
-- fct_logistics_exceptions and fct_kpi_daily, nothing else.
--
-- Scope: fct_kpi_daily.difference_rate needs each order's three-way match status. The floor counts the
-- settlement payment stream only (a settlement row names one order and gives it all of its amount); the
-- bank-receipt stream (OCR, corrections, re-prints, multi-order allocation: fct_bank_receipts …
-- int_payment_allocations) is not re-derived here. The bench zones are generated with receipts=False, and
-- the script refuses (error) to run on a warehouse that holds receipts rather than give another result.

select case when (select count(*) from raw.bank_receipts) > 0
    then error('floor_fulfilment.sql: raw.bank_receipts is not empty; the floor counts settlements only')
end;

create schema if not exists marts;

-- ---------------------------------------------------------------------------------------------------------
-- Orders and their lines: the latest export of each order (export time, load time, SHA-256), once per line.
-- ---------------------------------------------------------------------------------------------------------

create or replace temp table lines as
with
douyin as (
    select
        *,
        'douyin:' || order_no as order_key
    from raw.orders_douyin
    qualify dense_rank() over (partition by order_no order by _export_time desc, _loaded_at desc, _file_sha256 desc) = 1
        and row_number() over (partition by order_no, sub_order_no order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number) = 1
),
miniprogram as (
    select *
    from raw.orders_miniprogram
    qualify dense_rank() over (partition by tid order by _export_time desc, _loaded_at desc, _file_sha256 desc) = 1
        and row_number() over (partition by tid, oid order by _export_time desc, _loaded_at desc, _file_sha256 desc, update_time desc, _row_number desc) = 1
),
erp as (
    select
        *,
        -- position within the order in its latest file (the rows kept all come from that one file)
        row_number() over (partition by order_no, _file_sha256, _loaded_at order by _row_number) as line_position
    from raw.orders_erp
    qualify dense_rank() over (partition by order_no order by _export_time desc, _loaded_at desc, _file_sha256 desc) = 1
),
taobao_lines as (
    select
        *,
        row_number() over (partition by order_no, _file_sha256, _loaded_at order by _row_number) as line_position
    from raw.order_lines_taobao
    qualify dense_rank() over (partition by order_no order by _export_time desc, _loaded_at desc, _file_sha256 desc) = 1
),
pinduoduo as (
    select *
    from raw.orders_pinduoduo
    qualify row_number() over (partition by order_no order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number) = 1
)
-- one row per line, with the order-level fields each platform carries (the order rows are built from these)
select
    'douyin' as platform, order_no, order_key, sub_order_no as line_no, sku, product_title, quantity,
    line_amount, line_amount = 0 as is_gift,
    order_amount, created_at, paid_at, status, tracking_nos, shipped_at,
    'douyin|' || coalesce(receiver_name, '') as buyer_a, receiver_phone as buyer_b, room_id, video_id
from douyin
union all
select
    'pinduoduo', order_no, 'pinduoduo:' || order_no, '1', sku, product_title, quantity,
    goods_amount, goods_amount = 0,
    order_amount, coalesce(created_at, cast(order_date as timestamp)), paid_at, status, tracking_nos, shipped_at,
    'pinduoduo|' || coalesce(receiver_name, ''), receiver_phone, null, null
from pinduoduo
union all
select
    'taobao', l.order_no, 'taobao:' || l.order_no, cast(l.line_position as varchar), l.sku, l.product_title,
    l.quantity, cast(l.unit_price * l.quantity as decimal(18, 2)), cast(l.unit_price * l.quantity as decimal(18, 2)) = 0,
    null, null, null, null, null, null, null, null, null, null
from taobao_lines as l
union all
select
    'miniprogram', tid, 'miniprogram:' || tid, oid, outer_sku_id, title, num,
    line_payment, is_present,
    payment, created, pay_time, status, tracking_nos, consign_time,
    'miniprogram|' || coalesce(receiver_name, ''), receiver_tel, null, null
from miniprogram
union all
select
    'erp', order_no, 'erp:' || order_no, cast(line_position as varchar), sku, null, quantity,
    line_amount, false,
    order_amount, placed_at, placed_at, status, null, null,
    'erp|' || coalesce(customer_code, ''), null, null, null
from erp;

create or replace temp table orders as
with
taobao as (
    select *
    from raw.orders_taobao
    qualify row_number() over (partition by order_no order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number) = 1
)
select
    order_key,
    any_value(platform) as platform,
    any_value(order_no) as order_no,
    -- the buyer identity each export carries (ERP: 客户编码 alone), hashed; never shown in clear
    md5(max(buyer_a) || case when any_value(platform) = 'erp' then '' else '|' || coalesce(max(buyer_b), '') end)
        as customer_key,
    case when any_value(platform) = 'douyin' then
        case when max(room_id) is not null then '直播' when max(video_id) is not null then '短视频' else '其他' end
    end as channel,
    min(paid_at) as paid_at,
    max(status) as platform_status,
    max(order_amount) as order_amount,
    max(tracking_nos) as platform_tracking_nos,
    min(shipped_at) as platform_shipped_at,
    bool_or(is_gift) as is_gift_included
from lines
where platform <> 'taobao'
group by order_key
union all
select
    'taobao:' || t.order_no,
    'taobao',
    t.order_no,
    md5('taobao|' || coalesce(t.buyer_nick, '')),
    null,
    t.paid_at,
    t.status,
    t.order_amount,
    t.tracking_nos,
    null,
    coalesce(g.is_gift_included, false)
from taobao as t
left join (
    select order_key, bool_or(is_gift) as is_gift_included from lines where platform = 'taobao' group by order_key
) as g
    on g.order_key = 'taobao:' || t.order_no;

-- ---------------------------------------------------------------------------------------------------------
-- Warehouse log: one pass for everything per order (first 审单, first 出库, the numbers scanned out) and per
-- package. An event repeated across files counts from its latest file only: that matters for the scan
-- counts alone (everything else is a min or a distinct), so only the 出库扫描 rows are de-duplicated.
-- ---------------------------------------------------------------------------------------------------------

create or replace temp table events as
select
    w.event_time, w.event, w.platform || ':' || w.order_no as order_key, w.warehouse_code, w.tracking_no,
    w.barcode, w.remark, w.operator, w.wave_no, w.order_no, w.platform, f.file_order
from raw.warehouse_log as w
inner join (
    select
        _file_sha256, _loaded_at,
        row_number() over (order by _export_time desc, _loaded_at desc, _file_sha256 desc) as file_order
    from (select distinct _file_sha256, _export_time, _loaded_at from raw.warehouse_log)
) as f
    on f._file_sha256 = w._file_sha256 and f._loaded_at = w._loaded_at
where w.event_time <= getvariable('as_of');

create or replace temp table order_events as
select
    order_key,
    min({'t': event_time, 'w': warehouse_code}) filter (where event = '审单') as first_review,
    min(event_time) filter (where event = '出库') as outbound_at
from events
where event in ('审单', '出库')
group by order_key;

-- order ↔ tracking number: the platform's numbers (up to 10, ';'-separated) and the warehouse's scans
create or replace temp table order_tracking as
select order_key, tracking_no, min(seen_at) as first_scanned_at
from (
    select *
    from (
        select order_key, trim(unnest(string_split(platform_tracking_nos, ';')[1:10])) as tracking_no,
            null::timestamp as seen_at
        from orders
        where platform_tracking_nos is not null
    )
    where tracking_no <> ''
    union all
    select order_key, tracking_no, event_time
    from events
    where event in ('出库扫描', '出库') and tracking_no is not null
)
group by order_key, tracking_no;

-- ---------------------------------------------------------------------------------------------------------
-- Tracks: one aggregate over the raw node rows gives every push with its node summary; the latest push of
-- each number (newest node, then export, load, file, position) is its parcel.
-- ---------------------------------------------------------------------------------------------------------

create or replace temp table parcels as
select
    tracking_no,
    any_value(carrier) as carrier,
    coalesce(any_value(push_state), max(node_state) filter (where node_index = 0)) as latest_state,
    max(node_time) filter (where node_index is not null) as latest_node_at,
    min(node_time) filter (where node_index is not null) as first_node_at,
    min(node_time) filter (where node_index is not null and node_state = '3') as signed_at,
    max(context) filter (where node_index = 0) as latest_context
from raw.tracks
group by tracking_no, _file_sha256, _loaded_at, push_index
qualify row_number() over (
    partition by tracking_no
    order by any_value(push_latest_at) desc nulls last, any_value(_export_time) desc, _loaded_at desc,
        _file_sha256 desc, push_index desc
) = 1;

-- ---------------------------------------------------------------------------------------------------------
-- fct_orders
-- ---------------------------------------------------------------------------------------------------------

create or replace table marts.fct_orders as
with
tracking as (
    select
        t.order_key,
        min(p.first_node_at) as first_node_at,
        min(p.signed_at) as signed_at,
        case when count(*) = 1 then any_value(t.tracking_no)
            else string_agg(t.tracking_no, ';' order by t.first_scanned_at, t.tracking_no)
        end as tracking_nos
    from order_tracking as t
    left join parcels as p on p.tracking_no = t.tracking_no
    group by t.order_key
),
joined as (
    select
        o.*,
        e.first_review.t as reviewed_at,
        e.first_review.w as warehouse_code,
        least(e.outbound_at, t.first_node_at, o.platform_shipped_at) as shipped_at,
        t.signed_at,
        t.tracking_nos,
        getvariable('as_of') as as_of
    from orders as o
    left join order_events as e on e.order_key = o.order_key
    left join tracking as t on t.order_key = o.order_key
),
rules as (
    select
        *,
        case
            when paid_at is null then null
            when signed_at <= paid_at + interval 72 hour then true
            when as_of >= paid_at + interval 72 hour then false
        end as on_time_72h,
        case
            when paid_at is null then null
            when shipped_at <= paid_at + interval 24 hour then true
            when as_of >= paid_at + interval 24 hour then false
        end as shipped_within_24h
    from joined
)
select
    order_key, platform, order_no, customer_key, channel, paid_at, reviewed_at, warehouse_code, shipped_at,
    signed_at,
    cast(order_amount as decimal(18, 2)) as order_amount,
    case
        when platform_status in ('pending_payment', 'cancelled', 'refunded', 'completed') then platform_status
        when signed_at is not null then 'signed'
        when shipped_at is not null then 'shipped'
        else 'paid'
    end as status,
    is_gift_included, tracking_nos, on_time_72h, shipped_within_24h,
    case
        when paid_at is not null
            and (reviewed_at > paid_at + interval 2 hour or (reviewed_at is null and as_of > paid_at + interval 2 hour))
            then 'review'
        when shipped_within_24h = false then 'outbound'
        when on_time_72h = false then 'transit'
    end as delay_stage
from rules;

-- ---------------------------------------------------------------------------------------------------------
-- fct_order_lines
-- ---------------------------------------------------------------------------------------------------------

create or replace temp table products as
select sku, product_name, category, barcode
from raw.products
qualify row_number() over (partition by sku order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number desc) = 1;

create or replace table marts.fct_order_lines as
select
    l.order_key || ':' || l.line_no as order_line_key,
    l.order_key, l.platform, l.order_no, l.line_no, l.sku,
    coalesce(p.product_name, l.product_title) as product_name,
    p.category,
    cast(l.quantity as integer) as quantity,
    cast(l.line_amount as decimal(18, 2)) as line_amount,
    l.is_gift
from lines as l
left join products as p on p.sku = l.sku;

-- ---------------------------------------------------------------------------------------------------------
-- fct_fulfillment_heatmap: 30 days × every warehouse seen in the log or the stock snapshots, + UNASSIGNED
-- ---------------------------------------------------------------------------------------------------------

create or replace table marts.fct_fulfillment_heatmap as
with
closures as (
    select 'douyin:' || order_no as order_key, min(_export_time) as closed_at
    from raw.orders_douyin where status in ('cancelled', 'refunded') group by order_no
    union all
    select 'pinduoduo:' || order_no, min(_export_time)
    from raw.orders_pinduoduo where status in ('cancelled', 'refunded') group by order_no
    union all
    select 'taobao:' || order_no, min(_export_time)
    from raw.orders_taobao where status in ('cancelled', 'refunded') group by order_no
    union all
    select 'miniprogram:' || tid, min(_export_time)
    from raw.orders_miniprogram where status in ('cancelled', 'refunded') group by tid
    union all
    select 'erp:' || order_no, min(_export_time)
    from raw.orders_erp where status in ('cancelled', 'refunded') group by order_no
),
days as (
    select
        d.day::date as day,
        least(d.day + interval 1 day, getvariable('as_of')) as day_end
    from range(getvariable('as_of')::date - interval 29 day, getvariable('as_of')::date + interval 1 day, interval 1 day) as d(day)
),
warehouses as (
    select distinct warehouse_code from raw.warehouse_log where warehouse_code is not null
    union
    select distinct warehouse_code from raw.inventory_snapshots where warehouse_code is not null
    union
    select 'UNASSIGNED'
),
candidates as (
    select coalesce(o.warehouse_code, 'UNASSIGNED') as warehouse_code, o.paid_at, o.shipped_at, c.closed_at
    from marts.fct_orders as o
    left join closures as c on c.order_key = o.order_key
    where o.paid_at is not null
        and o.paid_at <= getvariable('as_of') - interval 24 hour
        and (o.shipped_at is null or o.shipped_at > getvariable('as_of')::date - interval 29 day)
        and (c.closed_at is null or c.closed_at > getvariable('as_of')::date - interval 29 day)
)
select
    d.day,
    w.warehouse_code,
    cast((
        select count(*) from candidates as c
        where c.warehouse_code = w.warehouse_code
            and c.paid_at <= d.day_end - interval 24 hour
            and (c.shipped_at is null or c.shipped_at > d.day_end)
            and (c.closed_at is null or c.closed_at > d.day_end)
    ) as integer) as overdue_unshipped_orders
from days as d
cross join warehouses as w;

-- ---------------------------------------------------------------------------------------------------------
-- fct_sla_alerts: stock at payment = the SKU's total over warehouses (a step function: each snapshot moves
-- the total by its change against the warehouse's previous snapshot), probed once per order × SKU
-- ---------------------------------------------------------------------------------------------------------

create or replace table marts.fct_sla_alerts as
with
snapshots as (
    select snapshot_at, warehouse_code, sku, coalesce(available_qty, 0) as qty
    from raw.inventory_snapshots
    qualify row_number() over (
        partition by snapshot_at, warehouse_code, sku
        order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number desc
    ) = 1
),
stock_steps as (
    select sku, snapshot_at, sum(sum(delta)) over (partition by sku order by snapshot_at) as available_qty
    from (
        select sku, snapshot_at, qty - coalesce(lag(qty) over (partition by sku, warehouse_code order by snapshot_at), 0) as delta
        from snapshots
    )
    group by sku, snapshot_at
),
paid as (
    select order_key, paid_at, reviewed_at
    from marts.fct_orders
    where paid_at <= getvariable('as_of')
),
ordered_skus as (
    select l.order_key, l.sku, p.paid_at, sum(l.quantity) as ordered_qty
    from lines as l
    inner join paid as p on p.order_key = l.order_key
    group by l.order_key, l.sku, p.paid_at
),
short as (
    select distinct s.order_key
    from ordered_skus as s
    asof left join stock_steps as t on t.sku = s.sku and t.snapshot_at <= s.paid_at
    where coalesce(t.available_qty, 0) < s.ordered_qty
),
classified as (
    select p.*, s.order_key is not null as is_short
    from paid as p
    left join short as s on s.order_key = p.order_key
)
select order_key, 'stock_shortage' as alert_type, 'purchasing' as recipient_role, paid_at as raised_at
from classified where is_short
union all
select order_key, 'review_pending', 'ops_lead', paid_at
from classified where not is_short
union all
select order_key, 'review_escalated', 'warehouse_supervisor', paid_at + interval 2 hour
from classified
where not is_short
    and paid_at + interval 2 hour <= getvariable('as_of')
    and (reviewed_at is null or reviewed_at > paid_at + interval 2 hour);

-- ---------------------------------------------------------------------------------------------------------
-- fct_logistics_exceptions
-- ---------------------------------------------------------------------------------------------------------

create or replace table marts.fct_logistics_exceptions as
with classified as (
    select
        *,
        case
            when latest_state in ('4', '14') then 'rejected'
            when latest_state = '6' then 'returned'
            when latest_state = '2' then 'problem'
            when latest_state in ('0', '1', '5', '7') and latest_node_at < getvariable('as_of') - interval 24 hour
                then 'stalled_24h'
        end as exception_type
    from parcels
)
select
    c.tracking_no, c.carrier, t.order_key, c.exception_type,
    case when c.exception_type = 'stalled_24h' then c.latest_node_at + interval 24 hour else c.latest_node_at end as since,
    c.latest_node_at as last_event_at,
    c.latest_context as last_context
from classified as c
left join order_tracking as t on t.tracking_no = c.tracking_no
where c.exception_type is not null;

-- ---------------------------------------------------------------------------------------------------------
-- fct_kpi_daily
-- ---------------------------------------------------------------------------------------------------------

create or replace temp macro rate_half_up(num, den, places) as
    case when coalesce(den, 0) <> 0 then floor((2 * (10 ** places) * num + den)::double / (2 * den)) / (10 ** places) end;

create or replace table marts.fct_kpi_daily as
with
paid_days as (
    select
        paid_at::date as day,
        count(*) as orders_paid,
        count(*) filter (where getvariable('as_of') >= paid_at + interval 72 hour) as due_72h,
        count(*) filter (where getvariable('as_of') >= paid_at + interval 72 hour and on_time_72h) as on_time_72h,
        count(*) filter (where getvariable('as_of') >= paid_at + interval 24 hour) as due_24h,
        count(*) filter (where getvariable('as_of') >= paid_at + interval 24 hour and shipped_within_24h) as shipped_24h
    from marts.fct_orders
    where paid_at <= getvariable('as_of')
    group by all
),
inquiry_days as (
    select first_day as day, count(*) as inquiring, count(*) filter (where logistics >= 2) as repeating
    from (
        select min(asked_at)::date as first_day, count(*) filter (where topic = '物流查询') as logistics
        from (
            -- a contact logged in several files counts from the latest file
            select asked_at, platform || ':' || order_no as order_key, topic
            from raw.inquiries
            where order_no is not null and asked_at <= getvariable('as_of')
            qualify dense_rank() over (
                partition by asked_at, order_no, platform, channel, topic
                order by _export_time desc, _loaded_at desc, _file_sha256 desc
            ) = 1
        )
        group by order_key
    )
    group by all
),
outbound_days as (
    -- packages: first 出库扫描 → first 出库 per tracking number × warehouse
    select handed_over_at::date as day, count(*) as packages, sum(date_diff('second', first_scanned_at, handed_over_at)) as seconds
    from (
        select
            min(event_time) filter (where event = '出库扫描') as first_scanned_at,
            min(event_time) filter (where event = '出库') as handed_over_at
        from events
        where tracking_no is not null and event in ('出库扫描', '出库')
        group by tracking_no, warehouse_code
    )
    where first_scanned_at is not null and handed_over_at is not null
    group by all
),
reconciliation_days as (
    -- three-way match of the orders in scope (settlement stream): matched = a number signed and the
    -- settlements up to as_of summing to order_amount within 0.01
    select
        o.paid_at::date as day,
        count(*) as in_scope,
        count(*) filter (
            where o.tracking_nos is null
                or s.payments is null
                or not coalesce(k.is_signed, false)
                or abs(s.paid_amount - o.order_amount) > 0.01
        ) as pending
    from marts.fct_orders as o
    left join (
        select order_key, sum(amount::decimal(18, 2)) as paid_amount, count(*) as payments
        from (
            select platform || ':' || order_no as order_key, settled_at, amount
            from (
                select platform, settlement_no, order_no, settled_at, amount, _export_time, _loaded_at, _file_sha256, _row_number from raw.settlements_douyin
                union all by name select platform, settlement_no, order_no, settled_at, amount, _export_time, _loaded_at, _file_sha256, _row_number from raw.settlements_pinduoduo
                union all by name select platform, settlement_no, order_no, settled_at, amount, _export_time, _loaded_at, _file_sha256, _row_number from raw.settlements_taobao
                union all by name select platform, settlement_no, order_no, settled_at, amount, _export_time, _loaded_at, _file_sha256, _row_number from raw.settlements_miniprogram
                union all by name select platform, settlement_no, order_no, settled_at, amount, _export_time, _loaded_at, _file_sha256, _row_number from raw.settlements_erp
            )
            qualify row_number() over (
                partition by platform, settlement_no, order_no
                order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number
            ) = 1
        )
        where settled_at <= getvariable('as_of')
        group by order_key
    ) as s on s.order_key = o.order_key
    left join (
        select t.order_key, bool_or(p.latest_state = '3') as is_signed
        from order_tracking as t
        inner join parcels as p on p.tracking_no = t.tracking_no
        group by t.order_key
    ) as k on k.order_key = o.order_key
    where o.paid_at is not null and o.status not in ('cancelled', 'refunded', 'pending_payment')
    group by all
),
scanned as (
    -- what left the warehouse per order × item (barcode → SKU through the catalogue), each scan event once
    select s.order_key, coalesce(b.sku, s.barcode) as sku, sum(s.units) as shipped_qty
    from (
        select order_key, barcode, arg_min(units, file_order) as units
        from (
            select
                event_time, order_key, warehouse_code, operator, tracking_no, barcode, wave_no, remark, file_order,
                -- one unit per scan row, a B2B case row (`整箱 数量:N`) N
                count(*) * any_value(coalesce(try_cast(nullif(regexp_extract(remark, '数量[:：]\s*([0-9]+)', 1), '') as integer), 1)) as units
            from events
            where event = '出库扫描'
            group by event_time, order_key, warehouse_code, operator, tracking_no, barcode, wave_no, remark, file_order
        )
        group by event_time, order_key, warehouse_code, operator, tracking_no, barcode, wave_no, remark
    ) as s
    left join (select barcode, min(sku) as sku from products where barcode is not null group by barcode) as b
        on b.barcode = s.barcode
    group by all
),
mis_shipped_days as (
    -- orders shipped out (first 出库) with an ordered SKU that was never scanned, by the first 出库's day
    select e.outbound_at::date as day, count(distinct l.order_key) as mis_shipped
    from (select order_key, sku, sum(quantity) as expected_qty from lines group by all) as l
    inner join order_events as e on e.order_key = l.order_key and e.outbound_at is not null
    inner join (select distinct order_key from scanned) as so on so.order_key = l.order_key
    left join scanned as s on s.order_key = l.order_key and s.sku = l.sku
    where l.expected_qty > 0 and coalesce(s.shipped_qty, 0) = 0
    group by all
),
shipped_days as (
    select outbound_at::date as day, count(*) as shipped
    from order_events
    where outbound_at is not null
    group by all
),
resolved_days as (
    select
        resolved_at::date as day,
        count(*) as resolved,
        sum(date_diff('second', applied_at, resolved_at)) as handling_seconds
    from (
        select applied_at, resolved_at
        from raw.aftersales_tickets
        qualify row_number() over (
            partition by ticket_no order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number desc
        ) = 1
    )
    where applied_at <= getvariable('as_of') and resolved_at <= getvariable('as_of')
    group by all
),
first_day as (
    select least(
        (select min(day) from paid_days), (select min(day) from inquiry_days), (select min(day) from outbound_days)
    ) as day
)
select
    d.day::date as day,
    coalesce(p.orders_paid, 0)::integer as orders_paid,
    rate_half_up(p.on_time_72h, p.due_72h, 4)::decimal(9, 4) as on_time_72h_rate,
    rate_half_up(p.shipped_24h, p.due_24h, 4)::decimal(9, 4) as shipped_within_24h_rate,
    rate_half_up(r.pending, r.in_scope, 4)::decimal(9, 4) as difference_rate,
    rate_half_up(coalesce(m.mis_shipped, 0), sh.shipped, 4)::decimal(9, 4) as mis_shipment_rate,
    rate_half_up(i.repeating, i.inquiring, 4)::decimal(9, 4) as repeat_inquiry_rate,
    rate_half_up(a.handling_seconds, 60 * a.resolved, 2)::decimal(18, 2) as avg_aftersales_minutes,
    rate_half_up(ob.seconds, ob.packages, 2)::decimal(18, 2) as avg_outbound_seconds
from range((select day from first_day), getvariable('as_of')::date + interval 1 day, interval 1 day) as d(day)
left join paid_days as p on p.day = d.day
left join inquiry_days as i on i.day = d.day
left join outbound_days as ob on ob.day = d.day
left join reconciliation_days as r on r.day = d.day
left join shipped_days as sh on sh.day = d.day
left join mis_shipped_days as m on m.day = d.day
left join resolved_days as a on a.day = d.day;
