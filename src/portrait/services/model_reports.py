"""A registered model's evaluation and fairness audit, for a signed-in principal.

The reports are those of ``portrait models evaluate NAME --json`` and ``portrait models
fairness NAME --json`` (:func:`portrait.services.models.evaluate` and
:func:`~portrait.services.models.fairness`, read from the registry, nothing recomputed),
behind the ``models.view`` permission. Non-finite figures (an AUC on a test set of one
class is NaN) become ``null``: JSON has no NaN, and the CLI's ``NaN`` is not JSON either.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from portrait.errors import NotFoundError
from portrait.privacy.roles import Action
from portrait.services import models
from portrait.services.access import Principal, Session, check, using


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float inside it replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _report(target: Session | Path | None, principal: Principal, name: str,
            read: Callable[[Path, str], dict[str, Any]]) -> dict[str, Any]:
    """One registry report of a model, for a principal who may view models."""
    with using(target) as session:
        check(session, principal, Action.MODELS_VIEW, f"model:{name}")
        try:
            return dict(finite(read(session.root, name)))
        except NotFoundError:  # the registry's message names the server's folders
            raise NotFoundError(f"No model {name!r}.", hint="See GET /api/models.") from None


def evaluation(target: Session | Path | None, principal: Principal, name: str) -> dict[str, Any]:
    """The evaluation report of a model: metrics beside its baselines, the reliability
    table (``metrics.reliability``), fairness and the top features.

    Raises:
        AccessDeniedError: The role may not view models (the refusal is audited).
        NotFoundError: No model has that name.
    """
    return _report(target, principal, name, models.evaluate)


def fairness(target: Session | Path | None, principal: Principal, name: str) -> dict[str, Any]:
    """The fairness audit of a model: selection rate and true-positive rate in its top
    share, by gender and by generation, with the groups flagged below 0.8.

    Raises:
        AccessDeniedError: The role may not view models (the refusal is audited).
        NotFoundError: No model has that name.
    """
    return _report(target, principal, name, models.fairness)
