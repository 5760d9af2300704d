"""The serving session's authentication: users are kept only until users or keys change."""

from __future__ import annotations

import pytest

from portrait.errors import AuthenticationError
from portrait.privacy import tokens, users
from portrait.services import access
from portrait.store import Workspace


def test_a_disabled_user_is_refused_at_once_though_looked_up_before(workspace: Workspace) -> None:
    session = access.open_session(workspace.root)
    try:
        users.add(session.engine(), "ann", "analyst", "long-enough-1")
        grant = access.login(session, "ann", "long-enough-1")
        assert access.authenticate(session, bearer=grant.access_token).name == "ann"
        assert access.authenticate(session, bearer=grant.access_token).name == "ann"  # kept
        other = workspace.engine()  # another connection, as a second request thread would use
        users.disable(other, "ann")
        with pytest.raises(AuthenticationError, match="disabled"):
            access.authenticate(session, bearer=grant.access_token)
        users.add(other, "bob", "marketer", "long-enough-2")
        token, _ = tokens.issue(session.secret, "bob", users.get(other, "bob").role, None)
        assert access.authenticate(session, bearer=token).role.value == "marketer"
    finally:
        session.close()


def test_a_kept_token_still_expires(workspace: Workspace) -> None:
    import datetime as dt
    import time

    session = access.open_session(workspace.root)
    try:
        users.add(session.engine(), "ann", "analyst", "long-enough-1")
        ttl = dt.timedelta(hours=1)
        issued = dt.datetime.now(dt.UTC) - ttl + dt.timedelta(seconds=1.5)
        token, _ = tokens.issue(session.secret, "ann", users.get(session.engine(), "ann").role,
                                None, ttl=ttl, now=issued)
        assert access.authenticate(session, bearer=token).name == "ann"
        time.sleep(2.0)
        with pytest.raises(AuthenticationError, match="expired"):
            access.authenticate(session, bearer=token)
        with pytest.raises(AuthenticationError, match="not valid"):
            access.authenticate(session, bearer=token[:-2] + "xx")
    finally:
        session.close()
