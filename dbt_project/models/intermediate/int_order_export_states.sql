-- Every distinct state of every order across ALL the exports loaded (CONTRACT §2.1 "Order history"), with the
-- export time it was seen at; int_order_states_history is this model up to as_of. The raw order tables keep
-- every loaded file's rows; this model reads them all (the staging models keep only the latest export). A
-- state is the order-level picture an export gives: platform status, after-sales status, payment and shipping
-- times, tracking numbers, receiver name, phone and address. An export that shows the same state as the export
-- before it adds no row; a state that comes back (A → B → A) is a new row each time.
-- Order of exports: export time, then load time, then file hash (the same order in which staging's
-- "latest file wins" picks the current state), so two exports with one export time never tie.
-- Independent of as_of: exports are ordered by export time first, so the states seen by any as_of are a
-- prefix of each order's states here, with the same state_seq and the same previous address — cutting at
-- as_of afterwards (int_order_states_history) gives what cutting the exports first gave.
-- Incremental (issue 11; the slowest model at 10M orders, 135 s): a run recomputes only the orders with a row
-- loaded since the last build, from all of their rows (macros/incremental.sql); a table on Spark.
-- receiver_address is the platform's receiver-address columns joined with '|': 抖店 省|市|区|街道|详细地址,
-- 拼多多 省|市|区|街道, 淘宝 收货地址, 有赞 delivery_province|city|district|address (possibly ciphertext,
-- compared as an opaque value, never joined on), ERP 收货地址.
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='order_key',
) }}
{% set platforms = [
    {
        'name': 'douyin', 'table': 'orders_douyin', 'order_no': 'order_no',
        'status_raw': 'status_raw', 'aftersale': 'aftersale_status_raw',
        'paid_at': 'paid_at', 'shipped_at': 'shipped_at', 'tracking': 'tracking_nos',
        'name_col': 'receiver_name', 'phone_col': 'receiver_phone',
        'address': ['province', 'city', 'district', 'street', 'address'],
    },
    {
        'name': 'pinduoduo', 'table': 'orders_pinduoduo', 'order_no': 'order_no',
        'status_raw': 'status_raw', 'aftersale': 'aftersale_status_raw',
        'paid_at': 'paid_at', 'shipped_at': 'shipped_at', 'tracking': 'tracking_nos',
        'name_col': 'receiver_name', 'phone_col': 'receiver_phone',
        'address': ['province', 'city', 'district', 'street'],
    },
    {
        'name': 'taobao', 'table': 'orders_taobao', 'order_no': 'order_no',
        'status_raw': 'status_raw', 'aftersale': None,
        'paid_at': 'paid_at', 'shipped_at': None, 'tracking': 'tracking_nos',
        'name_col': 'receiver_name', 'phone_col': 'receiver_phone',
        'address': ['address'],
    },
    {
        'name': 'miniprogram', 'table': 'orders_miniprogram', 'order_no': 'tid',
        'status_raw': 'status_raw', 'aftersale': None,
        'paid_at': 'pay_time', 'shipped_at': 'consign_time', 'tracking': 'tracking_nos',
        'name_col': 'receiver_name', 'phone_col': 'receiver_tel',
        'address': ['delivery_province', 'delivery_city', 'delivery_district', 'delivery_address'],
    },
    {
        'name': 'erp', 'table': 'orders_erp', 'order_no': 'order_no',
        'status_raw': 'status_raw', 'aftersale': None,
        'paid_at': 'placed_at', 'shipped_at': None, 'tracking': None,
        'name_col': 'contact_name', 'phone_col': 'contact_phone',
        'address': ['address'],
    },
] %}
{%- set null_string = 'cast(null as ' ~ dbt.type_string() ~ ')' -%}
{%- set null_ts = 'cast(null as ' ~ dbt.type_timestamp() ~ ')' -%}
with

{% for p in platforms %}
{{ p.name }}_exports as (

    -- one row per order × loaded file (a multi-line order repeats its order-level fields on every line)
    select
        {{ dbt.concat(["'" ~ p.name ~ ":'", p.order_no]) }} as order_key,
        '{{ p.name }}' as platform,
        {{ p.order_no }} as order_no,
        _export_time as seen_at,
        _loaded_at as loaded_at,
        _file_sha256 as file_sha256,
        max(_source_file) as source_file,
        max(status) as status,
        max({{ p.status_raw }}) as status_raw,
        {% if p.aftersale %}max({{ p.aftersale }}){% else %}{{ null_string }}{% endif %} as aftersale_status_raw,
        min({{ p.paid_at }}) as paid_at,
        {% if p.shipped_at %}min({{ p.shipped_at }}){% else %}{{ null_ts }}{% endif %} as shipped_at,
        {% if p.tracking %}min({{ p.tracking }}){% else %}{{ null_string }}{% endif %} as tracking_nos_min,
        {% if p.tracking %}max({{ p.tracking }}){% else %}{{ null_string }}{% endif %} as tracking_nos_max,
        max({{ p.name_col }}) as receiver_name,
        max({{ p.phone_col }}) as receiver_phone,
        max(
            {%- set parts = [] -%}
            {%- for col in p.address -%}
                {%- do parts.append("coalesce(" ~ col ~ ", '')") -%}
                {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
            {%- endfor %}
            {{ dbt.concat(parts) if parts | length > 1 else parts[0] }}
        ) as receiver_address
    from {{ source('raw', p.table) }}
    where _export_time is not null
    {{ changed_keys_filter(p.order_no, source('raw', p.table), and_=true) }}
    group by {{ p.order_no }}, _export_time, _loaded_at, _file_sha256

),
{% endfor %}

exports as (

    {% for p in platforms %}
    select * from {{ p.name }}_exports
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

fingerprinted as (

    select
        *,
        {{ dbt.hash(dbt.concat([
            "coalesce(status, '')", "'|'",
            "coalesce(status_raw, '')", "'|'",
            "coalesce(aftersale_status_raw, '')", "'|'",
            "coalesce(cast(paid_at as " ~ dbt.type_string() ~ "), '')", "'|'",
            "coalesce(cast(shipped_at as " ~ dbt.type_string() ~ "), '')", "'|'",
            "coalesce(tracking_nos_min, '')", "'|'",
            "coalesce(tracking_nos_max, '')", "'|'",
            "coalesce(receiver_name, '')", "'|'",
            "coalesce(receiver_phone, '')", "'|'",
            "receiver_address",
        ])) }} as state_hash
    from exports

),

sequenced as (

    select
        *,
        lag(state_hash) over (
            partition by order_key order by seen_at, loaded_at, file_sha256
        ) as previous_state_hash,
        lag(receiver_address) over (
            partition by order_key order by seen_at, loaded_at, file_sha256
        ) as previous_receiver_address,
        -- the newest load of any of the order's exports (a repeated state adds no row but was loaded):
        -- the incremental watermark. Same partition and order as the lags, so one sort serves all three.
        max(loaded_at) over (
            partition by order_key order by seen_at, loaded_at, file_sha256
            rows between unbounded preceding and unbounded following
        ) as _loaded_at
    from fingerprinted

),

changes as (

    select *
    from sequenced
    where previous_state_hash is null
        or previous_state_hash <> state_hash

),

final as (

    select
        order_key,
        platform,
        order_no,
        row_number() over (partition by order_key order by seen_at, loaded_at, file_sha256) as state_seq,
        seen_at,
        loaded_at,
        source_file,
        status,
        status_raw,
        aftersale_status_raw,
        paid_at,
        shipped_at,
        coalesce(tracking_nos_max, tracking_nos_min) as tracking_nos,
        receiver_address,
        previous_receiver_address is not null
            and previous_receiver_address <> receiver_address as address_changed,
        state_hash,
        _loaded_at
    from changes

)

select * from final
