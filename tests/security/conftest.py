"""The security tests attack the same real app the feature tests use: their fixtures, shared."""

from tests.lattice.conftest import api_app, auth, client, new_session, serve  # noqa: F401
from tests.negotiation.conftest import (  # noqa: F401
    agent,
    catalog,
    negotiation_env,
    new_agent,
    rayless_transport,
    transport,
)
