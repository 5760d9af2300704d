"""The bank's customers: who they are, what they earn and own, how they behave.

Attributes are drawn in causal order so they correlate the way they do in a real
retail bank: age drives education (younger cohorts studied longer), occupation and
income (which peaks in the late forties), assets (which accumulate until retirement),
marital status and dependants, risk appetite (young customers take more risk) and
channel habits (young customers live in the app, old ones go to the branch). Life
events happen inside the generated period: marriages (followed by mortgages),
retirements (salary stops, pension starts) and churn (activity fades, then accounts
close).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.draws import (
    BoolArray,
    FloatArray,
    IntArray,
    chance,
    conditional,
    lognormal,
    sigmoid,
    uniform_int,
    weighted,
)
from portrait.ingest.synth.geography import COUNTIES
from portrait.ingest.synth.seasons import NEVER, add_years, epoch_day, year_of
from portrait.ingest.synth.world import World
from portrait.schema import enums
from portrait.schema.tables import CUSTOMERS

#: Relative number of customers of each age, 18 … 85 (a bank's book, not the census).
AGE_KNOTS = ((18, 0.6), (22, 1.0), (28, 1.3), (35, 1.25), (45, 1.15), (55, 1.05), (65, 0.8),
             (75, 0.45), (85, 0.15))
#: Education (enums.EDUCATION_LEVELS order) by age band <25, 25-34, 35-44, 45-54, 55-64, 65+.
EDUCATION_BY_AGE = (
    (0.02, 0.12, 0.18, 0.25, 0.38, 0.03, 0.00, 0.02),
    (0.03, 0.15, 0.15, 0.22, 0.33, 0.09, 0.01, 0.02),
    (0.06, 0.25, 0.15, 0.20, 0.25, 0.06, 0.01, 0.02),
    (0.15, 0.35, 0.15, 0.15, 0.14, 0.03, 0.005, 0.025),
    (0.28, 0.38, 0.10, 0.10, 0.09, 0.02, 0.005, 0.025),
    (0.45, 0.30, 0.06, 0.07, 0.06, 0.01, 0.002, 0.048),
)
EDUCATION_PAY = np.array([0.6, 0.75, 0.85, 1.0, 1.25, 1.6, 1.9, 0.85])
#: Education group of each level: 0 = school, 1 = vocational/college, 2 = university.
EDUCATION_GROUP = np.array([0, 0, 1, 1, 2, 2, 2, 0])

#: Occupations (job families) and their pay relative to the city's average wage.
OCCUPATIONS = (
    ("civil_servant", 1.2), ("teacher", 1.1), ("doctor", 1.5), ("engineer", 1.4),
    ("it_professional", 1.7), ("finance_professional", 1.8), ("manager", 2.2),
    ("office_clerk", 0.9), ("sales", 1.0), ("service_worker", 0.7), ("factory_worker", 0.75),
    ("construction_worker", 0.8), ("farmer", 0.45), ("driver", 0.85), ("self_employed", 1.3),
    ("freelancer", 0.9), ("unemployed", 0.2), ("student", 0.15), ("retired", 0.55),
)
OCCUPATION_NAMES = tuple(name for name, _ in OCCUPATIONS)
OCCUPATION_PAY = np.array([pay for _, pay in OCCUPATIONS])
STUDENT, RETIRED, SELF_EMPLOYED, FARMER = (
    OCCUPATION_NAMES.index(n) for n in ("student", "retired", "self_employed", "farmer"))
#: Occupations that take more risk with their money.
FINANCE_AND_IT = [OCCUPATION_NAMES.index(n) for n in ("it_professional", "finance_professional")]
#: Working occupations (first 17) by education group.
OCCUPATION_BY_EDUCATION = (
    (0.01, 0.01, 0.00, 0.01, 0.00, 0.00, 0.01, 0.05, 0.10, 0.20, 0.18, 0.10, 0.10, 0.07, 0.10,
     0.03, 0.03),
    (0.04, 0.05, 0.04, 0.07, 0.06, 0.04, 0.03, 0.15, 0.14, 0.09, 0.08, 0.03, 0.01, 0.04, 0.08,
     0.05, 0.02),
    (0.09, 0.09, 0.07, 0.13, 0.15, 0.09, 0.08, 0.11, 0.06, 0.02, 0.01, 0.00, 0.00, 0.00, 0.05,
     0.04, 0.01),
)
#: Public-sector jobs and the city body that pays their wages.
PUBLIC_EMPLOYERS = {"civil_servant": "finance", "teacher": "education", "doctor": "hospital"}
#: Occupations whose wage is paid by payroll into a bank account.
PAYROLL = np.array([True] * 12 + [False, True, False, False, False, False, False])
SALARY_DAYS = np.array([5, 8, 10, 15, 20, 25, 28])
#: Marital status (enums.MARITAL_STATUSES order) by age <25, 25-29, 30-34, 35-44, 45-59,
#: 60-69, 70+.
MARITAL_BY_AGE = (
    (0.92, 0.06, 0.00, 0.00, 0.02), (0.55, 0.42, 0.01, 0.00, 0.02),
    (0.25, 0.70, 0.03, 0.00, 0.02), (0.10, 0.82, 0.06, 0.00, 0.02),
    (0.05, 0.84, 0.07, 0.02, 0.02), (0.03, 0.82, 0.05, 0.08, 0.02),
    (0.02, 0.65, 0.03, 0.28, 0.02),
)
MARRIED = enums.MARITAL_STATUSES.index("married")
#: Years of income saved with this bank by age: assets accumulate until retirement.
SAVINGS_AGE = ((18, 0.1), (25, 0.4), (35, 1.2), (45, 2.2), (55, 3.2), (60, 3.6), (70, 3.5),
               (85, 3.1))
#: Income by age relative to the peak-earning years.
WAGE_AGE = ((18, 0.4), (22, 0.55), (25, 0.68), (30, 0.84), (35, 1.0), (40, 1.14), (45, 1.24),
            (50, 1.28), (55, 1.25), (60, 1.2))
ACQUISITION = ("branch", "app", "payroll", "referral")
EARLIEST_JOIN = datetime.date(1995, 1, 1)


def _interp(x: FloatArray, knots: tuple[tuple[float, float], ...]) -> FloatArray:
    out: FloatArray = np.interp(x, [k for k, _ in knots], [v for _, v in knots])
    return out


@dataclass
class Population:
    """One chunk of customers as parallel arrays (one entry per customer).

    Days are days since 1970-01-01; :data:`NEVER` marks an event that does not happen.
    """

    index: IntArray  # customer number across the whole bank
    city: IntArray
    birthplace: IntArray  # six-digit division code, for the national id
    female: BoolArray
    birth: IntArray
    age: FloatArray  # at the end of the window
    education: IntArray
    occupation: IntArray
    marital: IntArray
    dependents: IntArray
    wage: FloatArray  # monthly wage while working (for retirees: their last wage)
    pension: FloatArray  # monthly pension once retired
    retire_day: IntArray
    income_declared: BoolArray
    assets: FloatArray  # financial assets held with this bank
    risk: IntArray  # questionnaire level 0 (C1) … 4 (C5)
    digital: FloatArray  # 0 … 1: preference for app and web over branch
    activity: FloatArray  # how much the customer does with this bank (dormant ≈ 0.05)
    joined: IntArray
    churn_day: IntArray  # leaves the bank (accounts closed if inside the window)
    fade_days: IntArray  # activity fades over this many days before churning
    salary_here: BoolArray
    salary_day: IntArray
    employer: IntArray  # counterparty index of the employer
    pension_here: BoolArray
    marriage_day: IntArray
    branch: IntArray
    rm: IntArray  # relationship manager number at the branch, -1 for none
    active: BoolArray  # False for corrupted customers, which get no accounts or events

    @property
    def size(self) -> int:
        return len(self.index)

    def income(self, at: int) -> FloatArray:
        """Monthly income on day ``at``: wage while working, pension after retiring."""
        out: FloatArray = np.where(self.retire_day <= at, self.pension, self.wage)
        return out

    def age_band(self, edges: tuple[int, ...]) -> IntArray:
        """Band index of each customer's age given band edges (e.g. ``(35, 60)``)."""
        return np.digitize(self.age, edges).astype(np.int64)


def draw_population(rng: np.random.Generator, world: World, first: int, n: int) -> Population:
    """Draw ``n`` customers numbered from ``first``."""
    win, geo = world.window, world.geography
    ages = np.arange(18, 86)
    age = ages[weighted(rng, _interp(ages.astype(np.float64), AGE_KNOTS), n)] + rng.random(n)
    birth = win.end - np.round(age * 365.25).astype(np.int64)
    female = chance(rng, 0.5, n)
    city = weighted(rng, geo.customer_weights(), n)
    tier = geo.tiers()[city]
    education = conditional(rng, EDUCATION_BY_AGE, np.digitize(age, (25, 35, 45, 55, 65)))
    edu_group = EDUCATION_GROUP[education]

    retire_day = add_years(birth, np.where(female, 55, 60))
    retired = retire_day <= win.end
    work = conditional(rng, OCCUPATION_BY_EDUCATION, edu_group)
    student = (age < 23) & chance(rng, np.where(edu_group > 0, 0.7, 0.2))
    occupation = np.where(retired, RETIRED, np.where(student, STUDENT, work))
    working_age = np.minimum(age, np.where(female, 55.0, 60.0))
    wage = (geo.salaries()[city] * _interp(working_age, WAGE_AGE) * EDUCATION_PAY[education]
            * OCCUPATION_PAY[np.where(student, STUDENT, work)])
    wage = np.round(lognormal(rng, wage, 0.35) / 100) * 100
    pension = np.round(np.maximum(1800.0, lognormal(rng, wage * 0.5, 0.15)) / 100) * 100

    savings_years = _interp(age, SAVINGS_AGE) * np.where(tier == 1, 1.2, 1.0)
    assets = lognormal(rng, wage * 12 * savings_years * rng.beta(2.0, 3.0, n), 0.9)
    assets = np.round(np.where(student, assets * 0.2, assets), 2).astype(np.float64)
    risk_score = (2.45 + 0.8 * (age < 30) + 0.4 * ((age >= 30) & (age < 45)) - 0.5 * (age >= 55)
                  - 0.8 * (age >= 65) + 0.35 * (edu_group == 2) - 0.3 * (edu_group == 0)
                  + 0.35 * np.log10(np.maximum(assets, 1e3) / 1e5)
                  + 0.4 * np.isin(work, FINANCE_AND_IT) + rng.normal(0.0, 0.8, n))
    risk = np.clip(np.round(risk_score) - 1, 0, 4).astype(np.int64)
    digital = sigmoid((42.0 - age) / 8.0 + 0.35 * (tier <= 2) + 0.3 * (edu_group == 2)
                      - 0.3 * (edu_group == 0) + rng.normal(0.0, 0.7, n))

    marital = conditional(rng, MARITAL_BY_AGE, np.digitize(age, (25, 30, 35, 45, 60, 70)))
    married = marital == MARRIED
    children = np.where(married & (age >= 26),
                        chance(rng, 0.85, n) + chance(rng, np.where(age > 40, 0.3, 0.2), n), 0)
    parents = np.where((age >= 35) & (age < 62), rng.binomial(2, 0.25, n), 0)
    dependents = (children + parents).astype(np.int64)

    adult = add_years(birth, 18)
    earliest = np.maximum(adult, epoch_day(EARLIEST_JOIN))
    recent = chance(rng, 0.18, n) | (earliest >= win.start)
    before = win.start - np.round(rng.exponential(6.0 * 365.25, n)).astype(np.int64)
    joined = np.where(recent,
                      uniform_int(rng, np.maximum(earliest, win.start),
                                  np.maximum(np.maximum(earliest, win.start) + 1, win.end - 30)),
                      np.maximum(before, earliest))
    joined = np.minimum(joined, win.end)

    payroll = ~student & PAYROLL[work] & (retire_day > win.start)  # retiring later or now
    salary_here = payroll & chance(rng, np.where(tier <= 2, 0.45, 0.35))
    salary_day = SALARY_DAYS[rng.integers(0, len(SALARY_DAYS), n)]
    cp = world.counterparties
    company = uniform_int(rng, cp.companies[0], cp.companies[1])
    employer = np.select(
        [work == OCCUPATION_NAMES.index(job) for job in PUBLIC_EMPLOYERS],
        [cp.city_body(body, city) for body in PUBLIC_EMPLOYERS.values()], company)
    pension_here = (retire_day <= win.end) & chance(rng, 0.7, n)

    activity = np.where(chance(rng, 0.22 + 0.1 * (age > 70)), 0.05, lognormal(rng, 1.0, 0.5, n))
    tenure = (win.end - joined) / 365.25
    p_churn = (0.05 + 0.05 * (tenure < 2) + 0.03 * (age < 30) + 0.04 * (assets < 5000)
               - 0.03 * salary_here)
    churn_day = uniform_int(rng, win.start + 180, win.end + 150)
    churns = chance(rng, p_churn) & (churn_day > joined + 120) & (activity > 0.05)
    churn_day = np.where(churns, churn_day, NEVER)
    fade_days = uniform_int(rng, 90, 240 + np.zeros(n, dtype=np.int64))

    young_married = married & (age >= 23) & (age <= 40) & chance(rng, 0.22, n)
    marriage_day = np.where(young_married,
                            uniform_int(rng, np.maximum(win.start, joined), win.end + 1), NEVER)

    home = geo.codes()[city]
    born_elsewhere = chance(rng, 0.2, n)
    origin = np.where(born_elsewhere, geo.codes()[rng.integers(0, geo.size, n)], home)
    birthplace = origin * 100 + COUNTIES[rng.integers(0, len(COUNTIES), n)]
    branch = np.floor(rng.random(n) * np.maximum(geo.branches()[city], 1)).astype(np.int64)
    rm = np.where(assets >= 500_000, rng.integers(0, 4, n), -1)
    return Population(
        index=np.arange(first, first + n, dtype=np.int64), city=city, birthplace=birthplace,
        female=female, birth=birth, age=age, education=education,
        occupation=occupation.astype(np.int64), marital=marital, dependents=dependents,
        wage=wage, pension=pension, retire_day=retire_day,
        income_declared=chance(rng, 0.92, n), assets=assets, risk=risk, digital=digital,
        activity=activity, joined=joined, churn_day=churn_day.astype(np.int64),
        fade_days=fade_days, salary_here=salary_here, salary_day=salary_day,
        employer=employer.astype(np.int64), pension_here=pension_here,
        marriage_day=marriage_day.astype(np.int64), branch=branch, rm=rm.astype(np.int64),
        active=np.ones(n, dtype=bool),
    )


def customer_ids(index: IntArray) -> pa.Array:
    return col.ids("C", index, 10)


def branch_ids(world: World, pop: Population) -> pa.Array:
    """Branch codes such as ``BR110103``: the city's division code and a branch number."""
    return col.concat("BR", col.digits(world.geography.codes()[pop.city]),
                      col.digits(pop.branch + 1, 2))


def customers_table(rng: np.random.Generator, world: World, pop: Population) -> pa.Table:
    """The ``customers`` rows of a chunk, with Chinese names, ids, phones and e-mails."""
    ident, geo, win = world.identities, world.geography, world.window
    names, surname = ident.names(rng, pop.female)
    branch = branch_ids(world, pop)
    acquisition = np.select(
        [pop.salary_here & chance(rng, 0.6, pop.size),
         (pop.joined >= win.start - 3 * 365) & (pop.digital > 0.6),
         chance(rng, 0.1, pop.size)], [2, 1, 3], 0)
    attributes = col.json_objects({
        "acquisition_channel": col.labels(col.text(ACQUISITION), acquisition),
        "hukou": col.labels(col.text(("local", "non_local")),
                            (pop.birthplace // 100 != geo.codes()[pop.city]).astype(np.int64)),
    })
    income = np.round(pop.income(win.end) * 100).astype(np.int64)
    return col.frame(CUSTOMERS, {
        "customer_id": customer_ids(pop.index),
        "name": names,
        "national_id": ident.national_ids(rng, pop.birthplace, pop.birth, pop.female),
        "phone": ident.phones(rng, pop.size),
        "email": ident.emails(rng, surname, year_of(pop.birth), pop.age),
        "gender": col.labels(col.text(enums.GENDERS), pop.female.astype(np.int64)),
        "birth_date": col.dates(pop.birth),
        "district_id": col.labels(geo.ids(), pop.city),
        "city": col.labels(geo.names(), pop.city),
        "occupation": col.labels(col.text(OCCUPATION_NAMES), pop.occupation),
        "education": col.labels(col.text(enums.EDUCATION_LEVELS), pop.education),
        "marital_status": col.labels(col.text(enums.MARITAL_STATUSES), pop.marital),
        "dependents": pa.array(pop.dependents),
        "income_declared": col.money(income, missing=~pop.income_declared),
        "risk_level": col.labels(col.text(enums.RISK_LEVELS), pop.risk),
        "branch_id": branch,
        "rm_id": col.blank(col.concat(branch, "-RM", col.digits(np.maximum(pop.rm, 0) + 1, 2)),
                           pop.rm < 0),
        "joined_at": col.dates(pop.joined),
        "attributes": attributes,
    }, pop.size)
