"""The top floor: the Ray Serve application, the `aura` command line and what `aura up` starts.

Every entry point of Aura lives here, so this is where one process-wide
setting is made before anything imports Ray: workers run this project's
interpreter as it is. Under `uv run`, Ray would otherwise rebuild the project
into a fresh virtualenv for every worker it starts (seconds each, nothing
gained).
"""

import os

os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
