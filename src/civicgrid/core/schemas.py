"""Types shared by every app's JSON schemas."""

from datetime import date
from typing import Annotated

from pydantic import Field

# A day a person could mean. Wider dates pass a schema but overflow when made an aware moment in Asia/Shanghai and
# turned to UTC (0001-01-01, 9999-12-31): refused at the edge with a 422 instead of a 500 deeper down.
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2099, 12, 31))]
