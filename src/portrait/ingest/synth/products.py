"""The synthetic bank's product catalog: what a Chinese retail bank sells.

Each product has a category of the canonical model and a risk grade R1 (principal
safe) … R5; a customer may only buy products whose grade does not exceed their
questionnaire level (C3 buys up to R3), and the generator obeys that suitability rule.
A few products are announced but not yet on sale: nobody holds or views them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.draws import FloatArray, IntArray
from portrait.schema import enums
from portrait.schema.tables import PRODUCTS


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    category: str
    grade: str
    min_amount: float
    term_months: int = 0  # 0 = open-ended
    rate_pct: float | None = None  # deposit rate, expected yield or loan rate
    on_sale: bool = True


P = Product
CATALOG: tuple[Product, ...] = (
    P("DEP_CURRENT", "活期储蓄", "deposit", "R1", 0, rate_pct=0.15),
    P("CARD_DEBIT", "借记卡(普卡)", "debit_card", "R1", 0),
    P("CARD_DEBIT_GOLD", "借记卡(金卡)", "debit_card", "R1", 0),
    P("TD_3M", "整存整取3个月", "time_deposit", "R1", 50, 3, 1.05),
    P("TD_6M", "整存整取6个月", "time_deposit", "R1", 50, 6, 1.25),
    P("TD_1Y", "整存整取1年", "time_deposit", "R1", 50, 12, 1.35),
    P("TD_2Y", "整存整取2年", "time_deposit", "R1", 50, 24, 1.45),
    P("TD_3Y", "整存整取3年", "time_deposit", "R1", 50, 36, 1.75),
    P("TD_5Y", "整存整取5年", "time_deposit", "R1", 50, 60, 1.80),
    P("LCD_3Y", "大额存单3年", "time_deposit", "R1", 200_000, 36, 2.15),
    P("WM_CASH", "天天利现金管理", "wealth", "R1", 1, 0, 1.9),
    P("WM_FIX_3M", "稳享固收3个月", "wealth", "R2", 10_000, 3, 2.6),
    P("WM_FIX_1Y", "稳享固收1年", "wealth", "R2", 10_000, 12, 3.1),
    P("WM_MIX_1Y", "固收+混合1年", "wealth", "R3", 10_000, 12, 3.8),
    P("WM_EQUITY_2Y", "权益精选2年", "wealth", "R4", 10_000, 24, 6.0),
    P("FD_MMF", "货币市场基金", "fund", "R1", 1, 0, 1.8),
    P("FD_BOND", "纯债基金", "fund", "R2", 1_000, 0, 3.0),
    P("FD_BALANCED", "平衡混合基金", "fund", "R3", 1_000, 0, 5.0),
    P("FD_CSI300", "沪深300指数基金", "fund", "R4", 1_000),
    P("FD_GROWTH", "科技成长股票基金", "fund", "R4", 1_000),
    P("FD_QDII", "全球科技QDII基金", "fund", "R5", 1_000),
    P("FD_NEW_ENERGY", "新能源主题基金", "fund", "R5", 1_000),
    P("BD_SAVINGS_3Y", "储蓄国债(电子式)3年", "bond", "R1", 100, 36, 2.38),
    P("BD_LOCAL_5Y", "地方政府债5年", "bond", "R2", 1_000, 60, 2.6),
    P("BD_CREDIT_3Y", "信用债精选3年", "bond", "R3", 10_000, 36, 3.5),
    P("INS_CRITICAL", "重大疾病保险", "insurance", "R1", 1_000),
    P("INS_ANNUITY", "年金保险", "insurance", "R2", 10_000),
    P("INS_EDUCATION", "少儿教育金保险", "insurance", "R2", 5_000),
    P("INS_UNIT_LINKED", "投资连结保险", "insurance", "R4", 20_000),
    P("LN_CONSUMER", "个人消费贷", "loan", "R1", 10_000, 36, 3.6),
    P("LN_CAR", "汽车消费贷", "loan", "R1", 50_000, 60, 3.9),
    P("LN_BUSINESS", "个人经营贷", "loan", "R1", 100_000, 36, 3.8),
    P("MG_COMMERCIAL", "个人住房商业贷款", "mortgage", "R1", 300_000, 360, 3.95),
    P("MG_COMBINED", "住房组合贷款(公积金)", "mortgage", "R1", 300_000, 300, 3.3),
    P("CC_YOUTH", "青春信用卡", "credit_card", "R1", 0),
    P("CC_STANDARD", "标准信用卡", "credit_card", "R1", 0),
    P("CC_GOLD", "金卡信用卡", "credit_card", "R1", 0),
    P("CC_PLATINUM", "白金信用卡", "credit_card", "R1", 0),
    P("PAY_SALARY", "代发工资", "payment_service", "R1", 0),
    P("PAY_UTILITY", "生活缴费代扣", "payment_service", "R1", 0),
    P("PEN_PRIVATE", "个人养老金", "pension", "R1", 0),
    P("WM_ESG_2Y", "ESG主题理财(即将发售)", "wealth", "R3", 10_000, 24, 4.0, on_sale=False),
    P("FD_AI", "人工智能主题基金(即将发售)", "fund", "R5", 1_000, on_sale=False),
    P("INS_LONG_TERM_CARE", "长期护理保险(即将发售)", "insurance", "R1", 1_000, on_sale=False),
)


@dataclass(frozen=True)
class Catalog:
    """The catalog as arrays, for vectorized lookups by product index."""

    products: tuple[Product, ...]

    @property
    def size(self) -> int:
        return len(self.products)

    def index(self, product_id: str) -> int:
        for i, p in enumerate(self.products):
            if p.product_id == product_id:
                return i
        raise KeyError(product_id)

    def in_category(self, category: str) -> IntArray:
        """Products of a category that are on sale."""
        return np.array([i for i, p in enumerate(self.products)
                         if p.category == category and p.on_sale], dtype=np.int64)

    def grades(self) -> IntArray:
        """Risk grade of each product as 0 (R1) … 4 (R5)."""
        return np.array([enums.RISK_GRADES.index(p.grade) for p in self.products], dtype=np.int64)

    def terms(self) -> IntArray:
        return np.array([p.term_months for p in self.products], dtype=np.int64)

    def rates(self) -> FloatArray:
        return np.array([p.rate_pct or 0.0 for p in self.products], dtype=np.float64)

    def ids(self) -> pa.Array:
        return col.text([p.product_id for p in self.products])

    def upcoming(self) -> IntArray:
        """Products not yet on sale: no holding or event refers to them."""
        return np.array([i for i, p in enumerate(self.products) if not p.on_sale], dtype=np.int64)

    def table(self) -> pa.Table:
        """The ``products`` table."""
        ps = self.products
        attributes = col.json_objects({
            "term_months": pa.array([p.term_months or None for p in ps], type=pa.int64()),
            "rate_pct": pa.array([p.rate_pct for p in ps], type=pa.float64()),
            "on_sale": pa.array([p.on_sale for p in ps]),
            "currency": col.text(["CNY"] * len(ps)),
        })
        return col.frame(PRODUCTS, {
            "product_id": self.ids(),
            "name": col.text([p.name for p in ps]),
            "category": col.text([p.category for p in ps]),
            "risk_grade": col.text([p.grade for p in ps]),
            "min_amount": pa.array([float(p.min_amount) for p in ps]),
            "attributes": attributes,
        }, len(ps))


PRODUCT_CATALOG = Catalog(CATALOG)
