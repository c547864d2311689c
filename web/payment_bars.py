"""The geometry of the payment bars on the allocation page: one horizontal bar split into its
parts, side by side (what is paid, what is still to come, the platform's fee; or how many
buyers stand in each state), drawn on the server.

Only geometry lives here (SVG attributes, which the Content-Security-Policy allows where
inline styles are not); the template writes the words in the page's language. Coordinates are
``Decimal`` rounded to a tenth of a pixel, so the same payments draw the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WIDTH = 600
HEIGHT = 22

_PIXEL = Decimal("0.1")


@dataclass(frozen=True)
class Part:
    key: str
    """What the part is (``paid``, ``waiting``, ``fee``, a payment state): its CSS class."""
    amount: int
    x: Decimal
    width: Decimal


@dataclass(frozen=True)
class PartsBar:
    parts: list[Part]
    total: int
    width: int
    height: int

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def parts_bar(parts: Sequence[tuple[str, int]]) -> PartsBar:
    """The parts in the order given, together spanning the whole width; a part of nothing is
    left out. Each edge is placed by the running total, so the parts meet exactly and the
    last ends at the right edge whatever the rounding."""
    shown = [(key, amount) for key, amount in parts if amount > 0]
    total = sum(amount for _, amount in shown)
    edges, running = [Decimal("0.0")], 0
    for _, amount in shown:
        running += amount
        edges.append((Decimal(running) * WIDTH / total).quantize(_PIXEL, rounding=ROUND_HALF_UP))
    return PartsBar(
        parts=[Part(key, amount, edges[index], edges[index + 1] - edges[index])
               for index, (key, amount) in enumerate(shown)],
        total=total, width=WIDTH, height=HEIGHT)
