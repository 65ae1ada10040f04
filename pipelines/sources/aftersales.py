"""After-sales tickets (`aftersales/*.csv`): one raw row per ticket per export. CONTRACT §1.12.

原因标签 holds one or more of the 8 standard tags separated by `;`, `；` or `、`. The tags are stored
normalised in `reason_tags` (trimmed, first occurrence of each, in the order written, joined with ';').
A ticket with no tag, an unknown tag, or `其他` without 补充说明 is rejected with the offending tag in
the reason, never guessed. The splitting is SQL over the typed cell (`Check`s and a derived column),
because the tabular engine has no list-of-enum kind.
"""

from __future__ import annotations

from .tabular import Check, Col, TabularSource, sql_str

PLATFORMS = ("douyin", "pinduoduo", "taobao", "miniprogram", "erp")
TAGS = ("包装破损", "物流延误", "发错商品", "商品瑕疵", "赠品缺失", "规格不符", "客户误购", "其他")

_STANDARD = "[" + ", ".join(sql_str(t) for t in TAGS) + "]"
_LISTING = sql_str(", ".join(TAGS))
# the tags as written: split on ; ； 、, trimmed (half- and full-width spaces), empty pieces dropped
_SPLIT = (
    "list_filter(list_transform(regexp_split_to_array(reason_tags_raw, '[;；、]'), "
    "lambda t: trim(t, ' \t　')), lambda t: t <> '')"
)
_DISTINCT = f"list_filter({_SPLIT}, lambda t, i: list_position({_SPLIT}, t) = i)"
_UNKNOWN = f"list_filter({_DISTINCT}, lambda t: not list_contains({_STANDARD}, t))"
_QUOTED_UNKNOWN = f"array_to_string(list_transform({_UNKNOWN}, lambda t: chr(39) || t || chr(39)), ', ')"

SPEC = TabularSource(
    name="aftersales_tickets",
    patterns=("aftersales/*.csv",),
    description="after-sales tickets with their reason tags (8 standard tags), CONTRACT §1.12",
    columns=(
        Col("售后单号", "ticket_no", "id", required=True),
        Col("订单号", "order_no", "id", required=True),
        Col("平台", "platform", "enum", required=True, values=PLATFORMS),
        Col("商家编码", "sku"),
        Col("申请时间", "applied_at", "ts", required=True),
        Col("原因标签", "reason_tags_raw", required=True),
        Col("补充说明", "note"),
        Col("处理完成时间", "resolved_at", "ts"),
        Col("处理结果", "resolution"),
        Col("退款金额", "refund_amount", "money"),
    ),
    derived=(("reason_tags", "VARCHAR", f"nullif(array_to_string({_DISTINCT}, ';'), '')"),),
    checks=(
        Check(
            bad=f"len({_SPLIT}) = 0",
            reason="'原因标签 ' || chr(39) || reason_tags_raw || chr(39) || ' holds no tag'",
        ),
        Check(
            bad=f"len({_UNKNOWN}) > 0",
            reason=f"'原因标签 ' || {_QUOTED_UNKNOWN} || case when len({_UNKNOWN}) = 1 "
            f"then ' is not a standard tag' else ' are not standard tags' end || ' (' || {_LISTING} || ')'",
        ),
        Check(
            bad=f"list_contains({_SPLIT}, '其他') and note is null",
            reason="'原因标签 其他 needs 补充说明 (empty)'",
        ),
    ),
)
