"""The canonical data model, as users read it."""

from __future__ import annotations

from portrait.schema.docs import render


def data_model_markdown() -> str:
    """The data model as Markdown (the text of ``docs/data-model.md``)."""
    return render()
