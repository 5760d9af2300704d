"""The canonical tables. This module is the single source of truth for the data model:
ingest validates against it, the warehouse creates tables from it, and
``docs/data-model.md`` is generated from it.
"""

from __future__ import annotations

from portrait.schema import enums
from portrait.schema.types import Column, ColumnType, ForeignKey, Table

S, I, F, M = ColumnType.STRING, ColumnType.INTEGER, ColumnType.FLOAT, ColumnType.MONEY  # noqa: E741
D, TS, B, J = ColumnType.DATE, ColumnType.TIMESTAMP, ColumnType.BOOLEAN, ColumnType.JSON

_EARLIEST = "1900-01-01"
_LATEST = "2100-12-31"


def _attributes() -> Column:
    return Column("attributes", J, description="Source fields with no canonical column, as JSON")


DISTRICTS = Table(
    "districts",
    "Places (districts, cities, regions) and their demographics.",
    (
        Column("district_id", S, required=True, description="Place identifier"),
        Column("name", S, required=True, description="Place name"),
        Column("region", S, description="Region or province it belongs to"),
        Column("city_tier", I, min=1, max=5, description="City tier, 1 = largest cities"),
        Column("population", I, min=0, description="Inhabitants"),
        Column("urban_ratio", F, min=0, max=100, description="Share of urban inhabitants, %"),
        Column("avg_salary", M, min=0, description="Average monthly salary"),
        Column("unemployment_rate", F, min=0, max=100, description="Unemployment rate, %"),
        _attributes(),
    ),
    key=("district_id",),
)

CUSTOMERS = Table(
    "customers",
    "One row per customer (person) of the bank.",
    (
        Column("customer_id", S, required=True, description="The bank's customer identifier"),
        Column("name", S, pii=True, description="Full name"),
        Column("national_id", S, pii=True, description="National identity number"),
        Column("phone", S, pii=True, description="Mobile phone number"),
        Column("email", S, pii=True, description="E-mail address"),
        Column("gender", S, enum=enums.GENDERS, description="M or F"),
        Column("birth_date", D, min=_EARLIEST, max=_LATEST, description="Date of birth"),
        Column("district_id", S, description="Home district"),
        Column("city", S, description="Home city"),
        Column("occupation", S, description="Occupation or job family"),
        Column("education", S, enum=enums.EDUCATION_LEVELS, description="Highest education"),
        Column("marital_status", S, enum=enums.MARITAL_STATUSES, description="Marital status"),
        Column("dependents", I, min=0, max=30, description="Number of dependants"),
        Column("income_declared", M, min=0, description="Declared monthly income"),
        Column("risk_level", S, enum=enums.RISK_LEVELS,
               description="Risk level from the bank's questionnaire, C1 … C5"),
        Column("branch_id", S, description="Home branch"),
        Column("rm_id", S, description="Relationship manager"),
        Column("joined_at", D, min=_EARLIEST, max=_LATEST, description="Customer since"),
        _attributes(),
    ),
    key=("customer_id",),
    references=(ForeignKey("district_id", "districts", "district_id"),),
)

ACCOUNTS = Table(
    "accounts",
    "Accounts, each with its owning customer.",
    (
        Column("account_id", S, required=True, description="Account identifier"),
        Column("customer_id", S, required=True, description="Owner of the account"),
        Column("type", S, required=True, enum=enums.ACCOUNT_TYPES, description="Account type"),
        Column("opened_at", D, required=True, min=_EARLIEST, max=_LATEST,
               description="Opening date"),
        Column("closed_at", D, min=_EARLIEST, max=_LATEST, description="Closing date"),
        Column("status", S, required=True, enum=enums.ACCOUNT_STATUSES, description="Status"),
        Column("district_id", S, description="District of the branch that keeps it"),
        Column("currency", S, description="ISO currency code"),
        _attributes(),
    ),
    key=("account_id",),
    references=(
        ForeignKey("customer_id", "customers", "customer_id"),
        ForeignKey("district_id", "districts", "district_id"),
    ),
)

ACCOUNT_PARTIES = Table(
    "account_parties",
    "Who may use each account: its owner and any authorised users.",
    (
        Column("account_id", S, required=True, description="Account"),
        Column("customer_id", S, required=True, description="Customer"),
        Column("role", S, required=True, enum=enums.ACCOUNT_ROLES, description="owner or user"),
    ),
    key=("account_id", "customer_id"),
    references=(
        ForeignKey("account_id", "accounts", "account_id"),
        ForeignKey("customer_id", "customers", "customer_id"),
    ),
)

TRANSACTIONS = Table(
    "transactions",
    "Account movements; amounts are signed (credits positive, debits negative).",
    (
        Column("txn_id", S, required=True, description="Transaction identifier"),
        Column("account_id", S, required=True, description="Account moved"),
        Column("customer_id", S, required=True, description="Owner of the account"),
        Column("ts", TS, required=True, min=_EARLIEST, max=_LATEST, description="When"),
        Column("amount", M, required=True, description="Signed amount"),
        Column("balance_after", M, description="Balance after the movement"),
        Column("channel", S, required=True, enum=enums.TRANSACTION_CHANNELS,
               description="Where it happened"),
        Column("kind", S, required=True, enum=enums.TRANSACTION_KINDS, description="What it is"),
        Column("counterparty", S, description="Other party (bank and account, merchant)"),
    ),
    key=("txn_id",),
    references=(
        ForeignKey("account_id", "accounts", "account_id"),
        ForeignKey("customer_id", "customers", "customer_id"),
    ),
)

PRODUCTS = Table(
    "products",
    "The bank's product catalog.",
    (
        Column("product_id", S, required=True, description="Product identifier"),
        Column("name", S, required=True, description="Product name"),
        Column("category", S, required=True, enum=enums.PRODUCT_CATEGORIES,
               description="Product category"),
        Column("risk_grade", S, required=True, enum=enums.RISK_GRADES,
               description="Risk grade, R1 … R5"),
        Column("min_amount", M, min=0, description="Minimum amount to buy"),
        _attributes(),
    ),
    key=("product_id",),
)

HOLDINGS = Table(
    "holdings",
    "Products a customer holds or held.",
    (
        Column("holding_id", S, required=True, description="Holding identifier"),
        Column("customer_id", S, required=True, description="Holder"),
        Column("product_id", S, required=True, description="Product held"),
        Column("account_id", S, description="Account the holding is booked on"),
        Column("start_at", D, min=_EARLIEST, max=_LATEST, description="Start, where known"),
        Column("end_at", D, min=_EARLIEST, max=_LATEST, description="End (maturity or closing)"),
        Column("amount", M, description="Amount held, lent or periodically paid"),
        Column("status", S, required=True, enum=enums.HOLDING_STATUSES, description="Status"),
        _attributes(),
    ),
    key=("holding_id",),
    references=(
        ForeignKey("customer_id", "customers", "customer_id"),
        ForeignKey("product_id", "products", "product_id"),
        ForeignKey("account_id", "accounts", "account_id"),
    ),
)

EVENTS = Table(
    "events",
    "Customer interactions: app and web sessions, branch visits, calls, complaints.",
    (
        Column("event_id", S, required=True, description="Event identifier"),
        Column("customer_id", S, required=True, description="Customer"),
        Column("ts", TS, required=True, min=_EARLIEST, max=_LATEST, description="When"),
        Column("channel", S, required=True, enum=enums.EVENT_CHANNELS, description="Channel"),
        Column("type", S, required=True, enum=enums.EVENT_TYPES, description="What happened"),
        Column("product_id", S, description="Product concerned"),
        Column("text", S, description="Search words or complaint text"),
        Column("duration_s", I, min=0, description="Duration in seconds"),
    ),
    key=("event_id",),
    references=(
        ForeignKey("customer_id", "customers", "customer_id"),
        ForeignKey("product_id", "products", "product_id"),
    ),
)

CONSENTS = Table(
    "consents",
    "Consent given or withdrawn by a customer for a purpose; the latest row wins.",
    (
        Column("customer_id", S, required=True, description="Customer"),
        Column("purpose", S, required=True, enum=enums.CONSENT_PURPOSES, description="Purpose"),
        Column("ts", TS, required=True, min=_EARLIEST, max=_LATEST, description="When recorded"),
        Column("granted", B, required=True, description="Granted (true) or withdrawn (false)"),
        Column("source", S, description="Where it was recorded (app, branch form, call)"),
    ),
    key=("customer_id", "purpose", "ts"),
    references=(ForeignKey("customer_id", "customers", "customer_id"),),
)

CONTACTS = Table(
    "contacts",
    "Marketing contacts made (or withheld, for control customers) in a campaign.",
    (
        Column("contact_id", S, required=True, description="Contact identifier"),
        Column("campaign_id", S, required=True, description="Campaign"),
        Column("customer_id", S, required=True, description="Customer"),
        Column("channel", S, required=True, enum=enums.CONTACT_CHANNELS, description="Channel"),
        Column("arm", S, required=True, enum=enums.CONTACT_ARMS, description="Treatment/control"),
        Column("ts", TS, min=_EARLIEST, max=_LATEST, description="When contacted"),
        _attributes(),
    ),
    key=("contact_id",),
    references=(ForeignKey("customer_id", "customers", "customer_id"),),
    recorded_here=True,
)

RESPONSES = Table(
    "responses",
    "Outcomes of campaign contacts.",
    (
        Column("response_id", S, required=True, description="Response identifier"),
        Column("contact_id", S, required=True, description="Contact it answers"),
        Column("customer_id", S, required=True, description="Customer"),
        Column("outcome", S, required=True, enum=enums.RESPONSE_OUTCOMES, description="Outcome"),
        Column("ts", TS, min=_EARLIEST, max=_LATEST, description="When"),
        Column("amount", M, description="Value converted"),
    ),
    key=("response_id",),
    references=(
        ForeignKey("contact_id", "contacts", "contact_id"),
        ForeignKey("customer_id", "customers", "customer_id"),
    ),
    recorded_here=True,
)

#: Every canonical table, parents before children (the order loads are validated in).
TABLES: tuple[Table, ...] = (
    DISTRICTS, CUSTOMERS, ACCOUNTS, ACCOUNT_PARTIES, PRODUCTS, HOLDINGS, TRANSACTIONS,
    EVENTS, CONSENTS, CONTACTS, RESPONSES,
)
