"""The words segment names are made of, in Chinese and English.

``WORDS`` maps (tag, value) — or (tag, ``high``/``low``) for a numeric tag, (tag,
``true``/``false``) for a boolean — to (theme, zh, en). A name takes at most one word per
theme, so "high assets" and "private banking" never stand side by side. A distinguishing
tag without an entry is named by its title and value instead.
"""

from __future__ import annotations

Word = tuple[str, str, str]

_AGE_BANDS: dict[str, tuple[str, str]] = {
    "age_under_25": ("年轻", "young"), "age_25_34": ("青年", "young adults"),
    "age_35_44": ("中青年", "thirty-somethings"), "age_45_54": ("中年", "middle-aged"),
    "age_55_64": ("临退休", "pre-retirement"), "age_65_plus": ("老年", "seniors"),
}
_GENERATIONS: dict[str, tuple[str, str]] = {
    "pre_50s": ("50前", "born before 1950"), "post_50s": ("50后", "born in the 50s"),
    "post_60s": ("60后", "born in the 60s"), "post_70s": ("70后", "born in the 70s"),
    "post_80s": ("80后", "born in the 80s"), "post_90s": ("90后", "born in the 90s"),
    "post_00s": ("00后", "born in the 2000s"), "post_10s": ("10后", "born in the 2010s"),
}
_AUM_BANDS: dict[str, tuple[str, str]] = {
    "aum_lt_10k": ("低资产", "low assets"), "aum_10k_50k": ("小额资产", "modest assets"),
    "aum_50k_200k": ("中等资产", "mid assets"), "aum_200k_1m": ("较高资产", "upper-mid assets"),
    "aum_1m_6m": ("高资产", "high assets"), "aum_6m_plus": ("私行级资产", "private-banking assets"),
}
_LIFECYCLE: dict[str, tuple[str, str]] = {
    "new": ("新客", "new"), "growing": ("成长期", "growing"), "mature": ("成熟", "mature"),
    "declining": ("衰退", "declining"), "dormant": ("沉睡", "dormant"),
}
_VALUE_CATEGORY: dict[str, tuple[str, str]] = {
    "basic": ("基础", "basic banking"), "savings": ("储蓄型", "savers"),
    "borrowing": ("借贷型", "borrowers"), "investing": ("投资型", "investors"),
    "wealth": ("财富型", "wealth clients"), "comprehensive": ("综合型", "all-round"),
    "high_net_worth": ("高净值", "high net worth"),
}
_RFM: dict[str, tuple[str, str]] = {
    "champions": ("高价值活跃", "champions"), "loyal": ("忠诚", "loyal"),
    "promising": ("潜力", "promising"), "at_risk": ("流失预警", "at risk"),
    "hibernating": ("休眠", "hibernating"), "needs_attention": ("待关注", "needs attention"),
}
_HOLDS: dict[str, tuple[str, str, str, str]] = {
    # tag: (zh holds, en holds, zh not, en not)
    "holds_time_deposit": ("定期存款", "time depositors", "无定期", "no time deposits"),
    "holds_wealth": ("理财", "wealth products", "无理财", "no wealth products"),
    "holds_fund": ("基金", "fund holders", "无基金", "no funds"),
    "holds_bond": ("债券", "bond holders", "无债券", "no bonds"),
    "holds_insurance": ("保险", "insured", "无保险", "uninsured"),
    "holds_loan": ("有贷款", "borrowers", "无贷款", "no loans"),
    "holds_mortgage": ("房贷", "mortgage holders", "无房贷", "no mortgage"),
    "holds_credit_card": ("信用卡", "card holders", "无信用卡", "no credit card"),
    "holds_investment": ("投资者", "investors", "无投资", "no investments"),
}
_HIGH_LOW: dict[str, tuple[str, str, str, str, str]] = {
    # tag: (theme, zh high, en high, zh low, en low)
    "age": ("age", "年长", "older", "年轻", "young"),
    "aum": ("assets", "高资产", "high assets", "低资产", "low assets"),
    "liquid_assets": ("assets", "活期充裕", "cash-rich", "活期较少", "little cash"),
    "deposit_balance": ("assets", "存款多", "large deposits", "存款少", "small deposits"),
    "last_demand_balance": ("assets", "余额高", "high balances", "余额低", "low balances"),
    "investment_assets": ("invest", "投资资产多", "invested", "投资少", "few investments"),
    "investment_share": ("invest", "投资占比高", "investment-heavy", "投资占比低",
                         "deposit-heavy"),
    "time_deposits": ("savings", "定期多", "time savers", "定期少", "few time deposits"),
    "monthly_income": ("income", "高收入", "high income", "低收入", "low income"),
    "declared_income": ("income", "高收入", "high income", "低收入", "low income"),
    "income_credits_6m": ("income", "收入入账多", "strong income credits", "收入入账少",
                          "little income credited"),
    "total_liabilities": ("debt", "高负债", "indebted", "低负债", "little debt"),
    "debt_to_income": ("debt", "负债率高", "highly leveraged", "负债率低", "low leverage"),
    "debt_service_ratio": ("debt", "月供压力大", "heavy repayments", "月供压力小",
                           "light repayments"),
    "txn_count_90d": ("activity", "交易活跃", "active", "交易少", "low activity"),
    "txn_volume_90d": ("activity", "交易额大", "high turnover", "交易额小", "low turnover"),
    "card_spend_90d": ("spend", "高消费", "big spenders", "消费少", "light spenders"),
    "online_ratio_90d": ("channel", "数字化", "digital", "线下", "offline"),
    "online_txn_share_90d": ("channel", "数字化", "digital", "线下", "offline"),
    "app_logins_90d": ("channel", "App活跃", "app users", "少用App", "rarely in the app"),
    "logins_30d": ("channel", "常登录", "frequent log-ins", "少登录", "rare log-ins"),
    "branch_visits_90d": ("channel", "常去网点", "branch visitors", "少去网点",
                          "rarely in branches"),
    "cash_withdrawal_share_90d": ("channel", "偏好现金", "cash users", "少用现金",
                                  "cashless"),
    "tenure_years": ("tenure", "老客户", "long-standing", "新客户", "recent"),
    "days_since_last_activity": ("lifecycle", "久未活跃", "long inactive", "近期活跃",
                                 "recently active"),
    "days_since_last_txn": ("lifecycle", "久未交易", "long without transactions",
                            "近期交易", "recent transactors"),
    "product_count": ("products", "多产品", "multi-product", "产品少", "few products"),
    "complaints_1y": ("service", "投诉多", "complainers", "投诉少", "few complaints"),
    "district_avg_salary": ("place", "高薪地区", "high-wage areas", "低薪地区",
                            "low-wage areas"),
    "district_urban_ratio": ("place", "城镇", "urban", "乡镇", "rural"),
    "digital_txns_90d": ("channel", "数字化", "digital", "少线上交易", "rarely online"),
    "digital_events_90d": ("channel", "线上互动多", "online engaged", "少线上互动",
                           "rarely online"),
    "branch_txns_90d": ("channel", "柜面交易多", "branch banking", "少去柜面",
                        "rarely at the counter"),
    "loan_payments_3m": ("debt", "月供压力大", "heavy repayments", "还贷少", "few repayments"),
    "monthly_loan_payments": ("debt", "月供压力大", "heavy repayments", "还贷少",
                              "few repayments"),
    "debits_3m": ("activity", "支出多", "high outflows", "支出少", "low spending"),
    "debits_90d": ("activity", "支付频繁", "many payments", "支付少", "few payments"),
    "credits_3m": ("income", "资金流入多", "strong inflows", "流入少", "low inflows"),
    "bill_payments_90d": ("habit", "常缴费", "bill payers", "少缴费", "few bill payments"),
    "dependents": ("family", "家庭负担重", "large households", "家庭负担轻",
                   "small households"),
}


def _build() -> dict[tuple[str, str], Word]:
    words: dict[tuple[str, str], Word] = {}
    for value, (zh, en) in _AGE_BANDS.items():
        words[("age_band", value)] = ("age", zh, en)
    for value, (zh, en) in _GENERATIONS.items():
        words[("generation", value)] = ("age", zh, en)
    for value, (zh, en) in _AUM_BANDS.items():
        words[("aum_band", value)] = ("assets", zh, en)
    for value, (zh, en) in _LIFECYCLE.items():
        words[("lifecycle_stage", value)] = ("lifecycle", zh, en)
    for value, (zh, en) in _VALUE_CATEGORY.items():
        words[("value_category", value)] = ("value", zh, en)
    for value, (zh, en) in _RFM.items():
        words[("rfm_segment", value)] = ("lifecycle", zh, en)
    for tag, (zh, en, zh_not, en_not) in _HOLDS.items():
        words[(tag, "true")] = ("products", zh, en)
        words[(tag, "false")] = ("products", zh_not, en_not)
    for tag, (theme, zh_hi, en_hi, zh_lo, en_lo) in _HIGH_LOW.items():
        words[(tag, "high")] = (theme, zh_hi, en_hi)
        words[(tag, "low")] = (theme, zh_lo, en_lo)
    words.update({
        ("value_tier", "mass"): ("assets", "大众", "mass market"),
        ("value_tier", "affluent"): ("assets", "富裕", "affluent"),
        ("value_tier", "private_banking"): ("assets", "私行", "private banking"),
        ("asset_mix", "no_assets"): ("assets", "无资产", "no assets"),
        ("asset_mix", "deposits_only"): ("invest", "纯存款", "deposits only"),
        ("asset_mix", "deposit_led"): ("invest", "存款为主", "deposit-led"),
        ("asset_mix", "investment_led"): ("invest", "投资为主", "investment-led"),
        ("channel_orientation", "online"): ("channel", "数字化", "digital"),
        ("channel_orientation", "hybrid"): ("channel", "线上线下", "hybrid"),
        ("channel_orientation", "offline"): ("channel", "线下", "offline"),
        ("login_frequency", "frequent"): ("channel", "高频登录", "frequent log-ins"),
        ("login_frequency", "none"): ("channel", "不登录", "never log in"),
        ("preferred_txn_channel", "branch"): ("channel", "网点交易", "branch banking"),
        ("preferred_txn_channel", "atm"): ("channel", "ATM", "ATM users"),
        ("preferred_txn_channel", "mobile"): ("channel", "手机银行", "mobile banking"),
        ("preferred_txn_channel", "web"): ("channel", "网上银行", "web banking"),
        ("preferred_txn_channel", "pos"): ("channel", "刷卡", "card payers"),
        ("is_active_90d", "true"): ("lifecycle", "活跃", "active"),
        ("is_active_90d", "false"): ("lifecycle", "不活跃", "inactive"),
        ("churn_risk", "true"): ("lifecycle", "流失风险", "churn risk"),
        ("activity_trend", "falling"): ("lifecycle", "活跃下降", "slowing down"),
        ("activity_trend", "rising"): ("lifecycle", "活跃上升", "picking up"),
        ("activity_trend", "none"): ("lifecycle", "无交易", "no transactions"),
        ("balance_trend_3m", "rising"): ("flow", "余额上升", "balances rising"),
        ("balance_trend_3m", "falling"): ("flow", "余额下降", "balances falling"),
        ("income_stability", "stable"): ("income", "收入稳定", "steady income"),
        ("income_stability", "none"): ("income", "无收入入账", "no income credits"),
        ("income_stability", "irregular"): ("income", "收入不稳定", "irregular income"),
        ("risk_preference", "conservative"): ("risk", "保守", "conservative"),
        ("risk_preference", "cautious"): ("risk", "稳健", "cautious"),
        ("risk_preference", "growth"): ("risk", "成长型", "growth-minded"),
        ("risk_preference", "aggressive"): ("risk", "进取", "aggressive"),
        ("tenure_band", "tenure_lt_1y"): ("tenure", "新客户", "recent"),
        ("tenure_band", "tenure_10y_plus"): ("tenure", "老客户", "long-standing"),
        ("city_tier", "tier_1"): ("place", "一线城市", "first-tier cities"),
        ("city_tier", "tier_2"): ("place", "二线城市", "second-tier cities"),
        ("has_dependents", "true"): ("family", "有家庭负担", "with dependants"),
        ("marital_status", "married"): ("family", "已婚", "married"),
        ("marital_status", "single"): ("family", "单身", "single"),
        ("weekday_habit", "weekend"): ("habit", "周末活跃", "weekend users"),
        ("active_time_of_day", "night"): ("habit", "夜间活跃", "night owls"),
        ("occupation", "retired"): ("occupation", "退休", "retirees"),
        ("occupation", "student"): ("occupation", "学生", "students"),
        ("occupation", "self_employed"): ("occupation", "个体经营", "self-employed"),
        ("occupation", "freelancer"): ("occupation", "自由职业", "freelancers"),
        ("occupation", "it_professional"): ("occupation", "IT从业者", "IT professionals"),
        ("occupation", "finance_professional"): ("occupation", "金融从业者", "finance professionals"),
        ("occupation", "civil_servant"): ("occupation", "公务员", "civil servants"),
        ("occupation", "manager"): ("occupation", "管理者", "managers"),
        ("occupation", "farmer"): ("occupation", "农民", "farmers"),
        ("occupation", "unemployed"): ("occupation", "待业", "unemployed"),
        ("education", "master"): ("education", "高学历", "postgraduates"),
        ("education", "doctorate"): ("education", "高学历", "postgraduates"),
        ("education", "bachelor"): ("education", "本科", "graduates"),
        ("preferred_channel", "app"): ("channel", "App", "app-first"),
        ("preferred_channel", "branch"): ("channel", "网点", "branch-first"),
        ("preferred_channel", "call_center"): ("channel", "电话银行", "phone banking"),
        ("risk_level", "C1"): ("risk", "保守", "conservative"),
        ("risk_level", "C4"): ("risk", "成长型", "growth-minded"),
        ("risk_level", "C5"): ("risk", "进取", "aggressive"),
        ("has_open_complaint", "true"): ("service", "有投诉", "open complaint"),
    })
    return words


WORDS: dict[tuple[str, str], Word] = _build()
#: Tags never used in a name: describing a segment by them would invite targeting by them.
UNNAMED: frozenset[str] = frozenset({"gender"})


def word(tag: str, value: str) -> Word | None:
    """The (theme, zh, en) word for a tag's value or direction, if there is one."""
    return WORDS.get((tag, value))
