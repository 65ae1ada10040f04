"""The 中文 / English switch of the dashboards: one label dictionary, one sidebar toggle.

Chinese is the default: every label in the code is the Chinese one as shown today (some already carry an
English gloss, "总览 Overview"). With the sidebar toggle "English" on, t() looks the label up in LABELS and
shows the English one; a label missing from LABELS stays as it is (so a new label is never blank).
Translated: page titles, section headings, KPI tiles and the column headers of every table
(`dataframe()` renames the columns of the frame it shows). Downloads keep the Chinese headers: a file
handed to finance has the same columns whoever exported it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

LANG_KEY = "orderlens_english"  # session-state key of the sidebar toggle (False = 中文)

# Chinese label (the one in the code) -> English
LABELS: dict[str, str] = {
    # page titles (navigation and st.title)
    "总览 Overview": "Overview",
    "履约热力图 Heatmap": "Fulfilment heatmap",
    "履约热力图 Fulfilment heatmap": "Fulfilment heatmap",
    "订单追踪 Order lookup": "Order lookup",
    "物流异常 / SLA 预警": "Logistics exceptions / SLA alerts",
    "风险预警 Risk signals": "Risk signals",
    "售后归因 After-sales": "After-sales",
    "三流对账 Reconciliation": "Reconciliation",
    "回单复核 Receipt review": "Receipt review",
    "订单明细 Order lines": "Order lines",
    # KPI tiles and metrics
    "已支付订单 Orders paid": "Orders paid",
    "72小时签收率 On time 72 h": "On time 72 h",
    "24小时发货率 Shipped within 24 h": "Shipped within 24 h",
    "对账差异率 Difference rate": "Difference rate",
    "错发率 Mis-shipment rate": "Mis-shipment rate",
    "重复咨询率 Repeat-inquiry rate": "Repeat-inquiry rate",
    "售后处理时长(分钟) After-sales minutes": "After-sales minutes",
    "出库时长(秒) Outbound seconds": "Outbound seconds",
    "超时未发订单 Overdue unshipped": "Overdue unshipped",
    "未关闭物流异常 Open exceptions": "Open exceptions",
    "未关闭SLA预警 Open alerts": "Open alerts",
    "SLA预警 Alerts": "Alerts",
    "其中审单超时 Escalated": "Escalated",
    "待处理差异 Pending items": "Pending items",
    "涉及金额 Amount (元)": "Amount (CNY)",
    "订单数 Orders": "Orders",
    "明细行 Lines": "Lines",
    "金额 Amount (元)": "Amount (CNY)",
    "拒收行 Rejected rows": "Rejected rows",
    "工单 Tickets": "Tickets",
    "原因标签 Tags": "Tags",
    "第一原因 Top tag": "Top tag",
    "待复核 Need review": "Need review",
    "回单总数 Receipts": "Receipts",
    "信号总数 Signals": "Signals",
    "渠道预警 Channel alerts": "Channel alerts",
    "连续断货 Stock-out streaks": "Stock-out streaks",
    "订单风险 Order risks": "Order risks",
    # section headings and tabs
    "订单 Orders": "Orders",
    "哪个仓 Warehouse": "Warehouse",
    "哪个时段 Hour paid": "Hour paid",
    "哪个类目 Category": "Category",
    "哪个环节 Stage": "Stage",
    "日期 Day": "Day",
    "仓库 Warehouse": "Warehouse",
    "周期 Period": "Period",
    "明细 Lines": "Lines",
    "审单 Review": "Review",
    "出库 Outbound / 异常上报": "Outbound / exceptions reported",
    "物流 Tracking": "Tracking",
    "SLA 预警 Alerts": "SLA alerts",
    "物流异常 Logistics exceptions": "Logistics exceptions",
    "付款对账 Payments": "Payments",
    "售后 After-sales": "After-sales",
    "按差异类型与责任组 By type and team": "By type and team",
    "差异明细 Items": "Items",
    "有款无单的付款人 Payers with money but no order": "Payers with money but no order",
    "导出 Export": "Export",
    "前三原因 Top 3 tags": "Top 3 tags",
    "工单明细 Tickets of a tag": "Tickets of a tag",
    "纠正措施 Correction actions": "Correction actions",
    "更正或确认 Correct or confirm": "Correct or confirm",
    "明细 Drill-down": "Drill-down",
    # column headers
    "日期": "Day",
    "已支付": "Orders paid",
    "订单号": "Order no.",
    "订单键": "Order key",
    "平台": "Platform",
    "仓库": "Warehouse",
    "支付时间": "Paid at",
    "审单时间": "Reviewed at",
    "发货时间": "Shipped at",
    "已支付小时": "Hours since paid",
    "延误环节": "Delay stage",
    "状态": "Status",
    "快递单号": "Tracking no.",
    "物流单号": "Tracking no.",
    "快递": "Carrier",
    "异常": "Exception",
    "开始": "Since",
    "账龄(小时)": "Age (h)",
    "账龄段": "Age bucket",
    "最后节点": "Last node at",
    "最后内容": "Last node",
    "预警": "Alert",
    "接收人": "Recipient",
    "触发时间": "Raised at",
    "未关闭": "Open",
    "商家编码": "SKU",
    "商品": "Product",
    "类目": "Category",
    "数量": "Quantity",
    "金额": "Amount",
    "赠品": "Gift",
    "项目": "Field",
    "值": "Value",
    "时间": "Time",
    "事件": "Event",
    "操作人": "Operator",
    "商品条码": "Barcode",
    "波次号": "Wave",
    "备注": "Remark",
    "内容": "Context",
    "地区": "Area",
    "付款凭证": "Payment refs",
    "已付": "Paid",
    "差异": "Difference",
    "责任组": "Team",
    "售后单号": "Ticket no.",
    "原因": "Reasons",
    "申请时间": "Applied at",
    "完成时间": "Resolved at",
    "退款金额": "Refund",
    "差异类型": "Difference type",
    "条数": "Items",
    "订单金额": "Order amount",
    "到账金额": "Paid amount",
    "回单编号": "Receipt no.",
    "说明": "Detail",
    "匹配键": "Match key",
    "付款人": "Payer",
    "无单付款笔数": "Orphan payments",
    "首次": "First seen",
    "最近": "Last seen",
    "原因标签": "Reason tag",
    "占工单比例": "Share of tickets",
    "排名": "Rank",
    "工单数": "Tickets",
    "占比": "Share",
    "主要SKU": "Top SKU",
    "SKU占比": "SKU share",
    "主要品类": "Top category",
    "品类占比": "Category share",
    "主要仓": "Top warehouse",
    "仓占比": "Warehouse share",
    "出库时段": "Outbound slot",
    "时段占比": "Slot share",
    "平均处理分钟": "Avg handling minutes",
    "触发订单": "Trigger",
    "措施": "Action",
    "对象": "Target",
    "银行": "Bank",
    "流水号": "Serial no.",
    "付款人账号": "Payer account",
    "收款人": "Payee",
    "收款人账号": "Payee account",
    "大写与小写一致": "Words = figure",
    "识别置信度": "Confidence",
    "复核原因": "Review reason",
    "文件": "File",
    "字段": "Field",
    "识别值": "Value read",
    "类型": "Type",
    "时长": "Age",
    "发生时间": "Raised at",
    "已过小时数": "Hours since",
    "付款时间": "Paid at",
    "签收时间": "Signed at",
    "创建日": "Day created",
    "渠道": "Channel",
    "渠道ID": "Channel ID",
    "订单数": "Orders",
    "72h未付款": "Unpaid after 72 h",
    "未付款率": "Unpaid rate",
}


def english() -> bool:
    return bool(st.session_state.get(LANG_KEY, False))


def t(label: str) -> str:
    """The label in the viewer's language (Chinese: as given)."""
    return LABELS.get(label, label) if english() else label


def columns(frame: pd.DataFrame) -> pd.DataFrame:
    """frame with its column headers in the viewer's language."""
    if not english():
        return frame
    return frame.rename(columns=lambda c: LABELS.get(c, c) if isinstance(c, str) else c)


def dataframe(frame: pd.DataFrame, **kwargs):
    """st.dataframe with translated column headers (and column_config keyed by the translated names)."""
    config = kwargs.pop("column_config", None)
    if config is not None and english():
        config = {LABELS.get(k, k): v for k, v in config.items()}
    return st.dataframe(columns(frame), column_config=config, **kwargs)


def toggle() -> None:
    """The sidebar switch (app.py draws it on every run, so the choice follows the user across pages)."""
    st.sidebar.toggle("English", key=LANG_KEY, help="界面语言 Interface language: 中文 / English")
