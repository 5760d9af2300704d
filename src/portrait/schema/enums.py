"""Enumerations of the canonical model, in their natural order.

Ordered enumerations (risk grades, risk levels) are ordered from lowest to highest,
so ``index()`` compares them.
"""

from __future__ import annotations

GENDERS = ("M", "F")
MARITAL_STATUSES = ("single", "married", "divorced", "widowed", "unknown")
EDUCATION_LEVELS = (
    "primary", "secondary", "vocational", "college", "bachelor", "master", "doctorate",
    "unknown",
)
#: Customer risk levels from the bank's risk questionnaire, C1 (conservative) … C5.
RISK_LEVELS = ("C1", "C2", "C3", "C4", "C5")
#: Product risk grades, R1 (lowest) … R5; a product may be offered to a customer only
#: if its grade does not exceed the customer's level (R3 needs C3 or above).
RISK_GRADES = ("R1", "R2", "R3", "R4", "R5")

ACCOUNT_ROLES = ("owner", "user")
ACCOUNT_TYPES = (
    "current", "savings", "time_deposit", "credit_card", "loan", "wealth", "fund",
    "insurance",
)
ACCOUNT_STATUSES = ("active", "dormant", "closed")

#: Where a transaction happened. ``system`` marks entries the bank books itself
#: (interest, fees), which have no customer channel.
TRANSACTION_CHANNELS = ("branch", "atm", "mobile", "web", "pos", "system", "other")
TRANSACTION_KINDS = (
    "salary", "pension", "transfer_in", "transfer_out", "cash_in", "cash_out",
    "card_purchase", "card_withdrawal", "loan_payment", "loan_disbursement",
    "insurance_payment", "investment_buy", "investment_sell", "interest",
    "penalty_interest", "fee", "household", "leasing", "other_in", "other_out",
)

PRODUCT_CATEGORIES = (
    "deposit", "time_deposit", "wealth", "fund", "bond", "insurance", "loan",
    "mortgage", "credit_card", "debit_card", "payment_service", "pension",
)
HOLDING_STATUSES = ("active", "closed", "in_arrears", "defaulted")

EVENT_CHANNELS = ("app", "web", "branch", "call_center", "atm")
EVENT_TYPES = (
    "login", "page_view", "search", "product_view", "consult", "complaint",
    "complaint_resolved", "application", "transaction", "logout",
)

CONSENT_PURPOSES = (
    "profiling", "marketing_sms", "marketing_push", "marketing_email", "marketing_call",
    "third_party",
)

CONTACT_CHANNELS = ("app_push", "sms", "email", "call", "rm_task", "branch")
CONTACT_ARMS = ("treatment", "control")
RESPONSE_OUTCOMES = ("delivered", "opened", "clicked", "converted", "declined")
