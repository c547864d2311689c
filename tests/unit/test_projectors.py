from typing import Any

import sqlalchemy as sa

from events import Projectors


class Base:
    pass


class Child(Base):
    pass


def test_projectors_run_for_the_event_type_and_its_bases_general_first() -> None:
    projectors = Projectors()
    calls: list[str] = []
    projectors.on(Child)(lambda _s, _e, position: calls.append(f"child@{position}"))
    projectors.on(Base)(lambda _s, _e, position: calls.append(f"base@{position}"))

    session: Any = None
    projectors.apply(session, Child(), 7)
    projectors.apply(session, Base(), 8)

    assert calls == ["base@7", "child@7", "base@8"]


def test_owned_tables_are_listed_parents_before_children() -> None:
    metadata = sa.MetaData()
    parent = sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True))
    child = sa.Table("child", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("parent_id", sa.ForeignKey("parent.id")))
    projectors = Projectors()

    projectors.owns(child, parent, child)

    assert projectors.tables == [parent, child]
