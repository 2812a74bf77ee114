"""`python -m negotiation.simulate …` (also what `ray job submit -- python -m negotiation.simulate …` runs)."""

import os
import sys

# Workers use this interpreter as it is. Under `uv run`, Ray would otherwise rebuild the
# project into a fresh virtualenv for its workers, costing seconds per worker start; Ray
# reads this when first imported, so it is set before the import below.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

from negotiation.simulate.cli import main  # noqa: E402

sys.exit(main())
