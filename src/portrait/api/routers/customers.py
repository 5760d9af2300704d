"""Customers: search, the 360° profile, and data-subject rights (export, correct, erase)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from portrait.api.deps import PageDep, PrincipalDep, SessionDep, call
from portrait.services import profile360, rights

router = APIRouter(prefix="/api/customers", tags=["customers"])
#: The longest customer id the routes accept.
MAX_ID = 64
CustomerId = Annotated[str, Path(min_length=1, max_length=MAX_ID, description="Customer id")]


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str = Field(min_length=1, max_length=64, description="A customers column")
    value: str | None = Field(default=None, max_length=1000, description="New value (null clears)")


@router.get("", summary="Search customers by id prefix, or exact name, phone, e-mail, national id")
def search(session: SessionDep, principal: PrincipalDep, page: PageDep,
           q: Annotated[str, Query(min_length=1, max_length=100)]) -> dict[str, Any]:
    return profile360.search(session, principal, q, limit=page.limit, offset=page.offset)


@router.get("/{customer_id}", summary="The customer's profile, as the caller may see it")
async def profile(session: SessionDep, principal: PrincipalDep, customer_id: CustomerId,
                  lang: Literal["en", "zh"] = "en", recommendations: bool = True
                  ) -> dict[str, Any]:
    if recommendations:  # scoring reads the warehouse and the models: a worker thread
        return await run_in_threadpool(profile360.customer_profile, session, principal,
                                       customer_id, lang=lang, recommendations=True)
    return await call(session, profile360.customer_profile, session, principal, customer_id,
                      lang=lang, recommendations=False)


@router.get("/{customer_id}/export", summary="Everything held on the customer (compliance)")
def export(session: SessionDep, principal: PrincipalDep, customer_id: CustomerId) -> dict[str, Any]:
    return rights.see(session, customer_id, actor=principal)


@router.patch("/{customer_id}", summary="Correct one field of the customer's record (compliance)")
def correct(session: SessionDep, principal: PrincipalDep, customer_id: CustomerId,
            body: Correction) -> dict[str, Any]:
    return rights.correct(session, customer_id, body.field, body.value, actor=principal)


@router.delete("/{customer_id}", summary="Erase the customer from the warehouse (compliance)")
def erase(session: SessionDep, principal: PrincipalDep, customer_id: CustomerId) -> dict[str, Any]:
    return rights.erase(session, customer_id, actor=principal)
