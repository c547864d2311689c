"""The allocation engine: a pure function from a closed lot's needs and bids to its clearing.

`allocate` solves a mixed-integer program through HiGHS and applies the cost-sharing and
leave-out rules of docs/allocation.md; the same input always gives the same result.
"""

from marketplace.allocation.clearing import AllocationError, allocate
from marketplace.allocation.inputs import (
    AllocationInput,
    AllocationInputError,
    BidOffer,
    BuyerNeed,
    Member,
    Options,
    Tier,
    canonical_json,
    parse_input,
)
from marketplace.allocation.result import AllocationResult, Award, BuyerResult, SupplierResult

__all__ = [
    "AllocationError",
    "AllocationInput",
    "AllocationInputError",
    "AllocationResult",
    "Award",
    "BidOffer",
    "BuyerNeed",
    "BuyerResult",
    "Member",
    "Options",
    "SupplierResult",
    "Tier",
    "allocate",
    "canonical_json",
    "parse_input",
]
