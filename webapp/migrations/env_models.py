"""Import every module that defines tables, so ``Base.metadata`` knows them all.

Alembic's env.py and the migration test both import this one module; a new model
module gets one line here.
"""

import guides.models  # noqa: F401
import tours.booking.models
import tours.stories.models
import tours.tour.models  # noqa: F401
