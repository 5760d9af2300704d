"""A session on the privacy tests' hand-made bank, for the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portrait.services import access
from portrait.store import Workspace
from tests.privacy.conftest import fill


@pytest.fixture
def session(workspace: Workspace) -> Iterator[access.Session]:
    fill(workspace)
    s = access.open_session(workspace.root)
    yield s
    s.close()
