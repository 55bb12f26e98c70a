"""The service centre's identity checks live in `civicgrid.core.identity`, shared with the registry; this module keeps
the names the service centre has always imported."""

from civicgrid.core.identity import (
    MAX_AGE,
    Identity,
    age,
    check_id_number,
    check_name,
    check_phone,
    mask_id_number,
    mask_name,
    mask_phone,
    public_name,
)

__all__ = [
    "MAX_AGE",
    "Identity",
    "age",
    "check_id_number",
    "check_name",
    "check_phone",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "public_name",
]
