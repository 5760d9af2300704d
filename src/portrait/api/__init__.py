"""The HTTP API: ``create_app(settings)`` builds the FastAPI app; routers are thin shells
over :mod:`portrait.services` (the core never imports FastAPI)."""
