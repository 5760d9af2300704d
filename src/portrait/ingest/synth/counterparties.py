"""Who is on the other side of a transaction: merchants, employers, payers, platforms.

All names live in one vocabulary so a transaction's counterparty is just an index into
it until the Arrow column is built. Merchants are grouped by spending category, so
what a customer buys (and where) follows their age.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from faker.providers.company.zh_CN import Provider as CompanyProvider

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.draws import IntArray

#: Spending categories: (name, typical amount in yuan, merchants).
SPENDING: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("groceries", 110.0, ("永辉超市", "沃尔玛", "华润万家", "盒马鲜生", "物美超市", "大润发")),
    ("dining", 55.0, ("美团外卖", "饿了么", "肯德基", "麦当劳", "海底捞", "星巴克", "瑞幸咖啡")),
    ("online", 140.0, ("淘宝", "天猫", "京东", "拼多多", "抖音电商", "唯品会")),
    ("transport", 45.0, ("滴滴出行", "中国石化", "中国石油", "12306铁路", "高德打车")),
    ("travel", 1300.0, ("携程旅行", "中国国际航空", "飞猪旅行", "华住酒店")),
    ("health", 160.0, ("大参林药房", "老百姓大药房", "益丰大药房", "爱尔眼科")),
    ("entertainment", 80.0, ("万达影城", "腾讯视频", "爱奇艺", "网易游戏", "大麦网")),
    ("education", 2600.0, ("新东方", "学而思", "中公教育")),
    ("electronics", 2400.0, ("苏宁易购", "小米之家", "华为终端", "Apple Store")),
)
#: Share of each spending category by age band (under 35, 35 to 59, 60 and over).
SPENDING_BY_AGE = (
    (0.15, 0.28, 0.25, 0.12, 0.04, 0.03, 0.08, 0.02, 0.03),
    (0.28, 0.20, 0.18, 0.12, 0.05, 0.06, 0.04, 0.05, 0.02),
    (0.45, 0.12, 0.06, 0.05, 0.04, 0.22, 0.02, 0.01, 0.03),
)
PAYMENT_PLATFORMS = ("支付宝", "财付通-微信支付", "云闪付")
OTHER_BANKS = ("工商银行个人账户", "建设银行个人账户", "农业银行个人账户", "中国银行个人账户",
               "交通银行个人账户", "招商银行个人账户", "邮储银行个人账户")
INSURERS = ("中国人寿", "平安人寿", "太平洋人寿", "泰康人寿")
BROKERS = ("华泰证券", "中信证券", "国泰君安证券", "东方财富证券")
#: Public employers and payers present in every city: (key, name suffix).
CITY_BODIES = (("finance", "市财政局"), ("education", "市教育局"), ("hospital", "市第一人民医院"),
               ("social_security", "市社会保险事业管理局"), ("power", "供电局"),
               ("water", "自来水公司"), ("gas", "燃气公司"))
#: The bank's own books, each a fixed counterparty name.
OWN = {
    "card_repayment": "本行信用卡还款", "card_repayment_in": "本行借记卡还款",
    "to_time_deposit": "活期转定期", "from_time_deposit": "定期到期转活期",
    "wealth": "本行理财产品", "fund": "本行基金代销", "bond": "本行国债柜台",
    "pension": "个人养老金资金账户", "loan": "本行个人贷款", "interest": "本行结息",
    "fee": "本行账户服务费", "atm": "本行ATM", "counter": "本行柜面", "closing": "销户转出",
}


@dataclass(frozen=True)
class Counterparties:
    """One vocabulary of counterparty names, with the index ranges of each kind."""

    names: tuple[str, ...]
    spending: tuple[tuple[int, int], ...]  # per spending category: [start, stop)
    platforms: tuple[int, int]
    banks: tuple[int, int]
    insurers: tuple[int, int]
    brokers: tuple[int, int]
    companies: tuple[int, int]
    city_bodies: int  # start of the per-city bodies, len(CITY_BODIES) per city
    own: dict[str, int]

    @classmethod
    def build(cls, city_names: list[str]) -> Counterparties:
        names: list[str] = []

        def add(items: tuple[str, ...] | list[str]) -> tuple[int, int]:
            start = len(names)
            names.extend(items)
            return start, len(names)

        spending = tuple(add(merchants) for _, _, merchants in SPENDING)
        platforms = add(PAYMENT_PLATFORMS)
        banks = add(OTHER_BANKS)
        insurers = add(INSURERS)
        brokers = add(BROKERS)
        companies = add([p + s for p in CompanyProvider.company_prefixes
                         for s in CompanyProvider.company_suffixes])
        bodies = len(names)
        for city in city_names:
            names.extend(city + suffix for _, suffix in CITY_BODIES)
        own_start, _ = add(list(OWN.values()))
        own = {key: own_start + i for i, key in enumerate(OWN)}
        return cls(tuple(names), spending, platforms, banks, insurers, brokers, companies, bodies,
                   own)

    def city_body(self, key: str, city: IntArray | int) -> IntArray:
        """The public body ``key`` (``finance``, ``power``, …) of each city."""
        offset = self.city_bodies + [k for k, _ in CITY_BODIES].index(key)
        out: IntArray = offset + np.asarray(city, dtype=np.int64) * len(CITY_BODIES)
        return out

    def vocabulary(self) -> pa.Array:
        return col.text(self.names)
