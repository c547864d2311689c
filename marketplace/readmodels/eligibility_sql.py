"""``Eligibility.admits`` in SQL, for the read models of every round open to a cluster or
prefectures (lots, RFQs): one predicate, so that lists and the domain never disagree."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa


def has_prefectures(round_id: sa.ColumnElement[object], listed_for: sa.Column[object]
                    ) -> sa.Exists:
    """The round lists prefectures (``listed_for``: the prefectures table's round column)."""
    return sa.exists().where(listed_for == round_id)


def admits(*, cluster: sa.ColumnElement[object], round_id: sa.ColumnElement[object],
           listed_for: sa.Column[object], listed: sa.Column[object], prefecture: str,
           clusters: Iterable[str]) -> sa.ColumnElement[bool]:
    """No cluster or one of ``clusters``, and no prefectures or ``prefecture`` among them."""
    cluster_ok = sa.or_(cluster.is_(None), cluster.in_(sorted(clusters)))
    prefecture_ok = sa.or_(~has_prefectures(round_id, listed_for), sa.exists().where(
        listed_for == round_id, listed == prefecture))
    return sa.and_(cluster_ok, prefecture_ok)
