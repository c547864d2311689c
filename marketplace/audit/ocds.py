"""Lots and RFQs in the Open Contracting Data Standard 1.1: one record package.

Every lot and every RFQ is a contracting process, its ocid the prefix and its id. Its record
holds its releases, embedded (so the file stands alone), in date order, and its compiled
release, merged from them by ``ocdsmerge`` as the standard's merge routine says. The package
is written record by record, so only one process is ever in memory; it covers the ledger up to
the position it was asked for, and is dated with the time of that position's event, so the same
ledger always gives the same file. The mapping is in docs/export.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any
from uuid import UUID

from eventsourcing.utils import get_topic
from ocdsmerge import Merger  # type: ignore[import-untyped]

from events.checkpoints import rfc3339
from marketplace.application import Marketplace
from marketplace.audit.export import count_events, ledger_rows
from marketplace.audit.ocds_lots import LotReleases
from marketplace.audit.ocds_releases import Directory, ProcessReleases
from marketplace.audit.ocds_rfqs import RfqReleases
from marketplace.domain.lot import Lot
from marketplace.domain.rfq import Rfq
from marketplace.readmodels import OrganisationView

DEFAULT_OCID_PREFIX = "ocds-kyodo0-"
OCDS_VERSION = "1.1"
#: The events that start a contracting process, and what makes its releases.
PROCESSES: dict[str, Callable[[str, Directory], ProcessReleases]] = {
    get_topic(Lot.Opened): LotReleases,
    get_topic(Rfq.Issued): RfqReleases,
}
#: The merge rules of the OCDS 1.1.5 release schema, as ``ocdsmerge.rules.get_merge_rules``
#: derives them (tests/integration/test_audit_export.py checks that it still does, against
#: the schema in tests/ocds_schema/). Given here, the merge needs neither the schema nor the
#: network, from which ocdsmerge would otherwise fetch it.
MERGE_RULES: dict[tuple[str, ...], str] = {
    ("awards", "amendment", "changes"): "wholeListMerge",
    ("awards", "amendments", "changes"): "wholeListMerge",
    ("awards", "items", "additionalClassifications"): "wholeListMerge",
    ("awards", "suppliers", "additionalIdentifiers"): "wholeListMerge",
    ("buyer", "additionalIdentifiers"): "wholeListMerge",
    ("contracts", "amendment", "changes"): "wholeListMerge",
    ("contracts", "amendments", "changes"): "wholeListMerge",
    ("contracts", "implementation", "transactions", "payee", "additionalIdentifiers"):
        "wholeListMerge",
    ("contracts", "implementation", "transactions", "payer", "additionalIdentifiers"):
        "wholeListMerge",
    ("contracts", "items", "additionalClassifications"): "wholeListMerge",
    ("contracts", "relatedProcesses", "relationship"): "wholeListMerge",
    ("date",): "omitWhenMerged",
    ("id",): "omitWhenMerged",
    ("parties", "additionalIdentifiers"): "wholeListMerge",
    ("parties", "roles"): "wholeListMerge",
    ("relatedProcesses", "relationship"): "wholeListMerge",
    ("tag",): "omitWhenMerged",
    ("tender", "additionalProcurementCategories"): "wholeListMerge",
    ("tender", "amendment", "changes"): "wholeListMerge",
    ("tender", "amendments", "changes"): "wholeListMerge",
    ("tender", "items", "additionalClassifications"): "wholeListMerge",
    ("tender", "procuringEntity", "additionalIdentifiers"): "wholeListMerge",
    ("tender", "submissionMethod"): "wholeListMerge",
    ("tender", "tenderers", "additionalIdentifiers"): "wholeListMerge",
}

Progress = Callable[[int], None]


def count_processes(app: Marketplace, *, end: int) -> int:
    return count_events(app, end=end, topics=tuple(PROCESSES))


def write_record_package(app: Marketplace, output: IO[bytes], *, end: int, ocid_prefix: str,
                         publisher: str, progress: Progress | None = None) -> int:
    """Writes the record package of every lot and RFQ up to position ``end``; returns how many
    records it holds (0: none, and the package is not valid OCDS, which needs one)."""
    package = {"uri": f"urn:x-kyodo:ocds:{ocid_prefix}record-package:{end}",
               "version": OCDS_VERSION, "publisher": {"name": publisher},
               "publishedDate": _time_of(app, end)}
    head = json.dumps(package, ensure_ascii=False, separators=(",", ":"))
    output.write((head[:-1] + ',"records":[').encode())
    directory = _Directory(app)
    written = 0
    for row in ledger_rows(app, end=end, topics=tuple(PROCESSES)):
        aggregate_id = UUID(str(row.stored.originator_id))
        process = PROCESSES[row.stored.topic](f"{ocid_prefix}{aggregate_id}", directory)
        record = record_of(app, process, aggregate_id, end=end)
        output.write((("," if written else "")
                      + json.dumps(record, ensure_ascii=False, separators=(",", ":"))).encode())
        written += 1
        if progress is not None:
            progress(written)
    output.write(b"]}\n")
    return written


def record_of(app: Marketplace, process: ProcessReleases, aggregate_id: UUID, *,
              end: int) -> dict[str, Any]:
    """The record of one process: its releases up to ``end`` and its compiled release."""
    for row in ledger_rows(app, end=end, originator_id=aggregate_id):
        process.apply(app.mapper.to_domain_event(row.stored), row.position)
    # Dates are RFC 3339 UTC of one width, so they sort as text; the sort is stable, so
    # releases of one instant keep their ledger order (the merge sorts them the same way).
    releases = sorted(process.releases, key=lambda release: str(release["date"]))
    compiled: dict[str, Any] = Merger(merge_rules=MERGE_RULES).create_compiled_release(releases)
    return {"ocid": process.ocid, "releases": releases, "compiledRelease": compiled}


def _time_of(app: Marketplace, position: int) -> str:
    for row in ledger_rows(app, end=position, batch_size=1, after=position - 1):
        event: Any = app.mapper.to_domain_event(row.stored)
        return rfc3339(event.timestamp)
    return rfc3339(app.clock())


class _Directory:
    """Organisations looked up once each per export."""

    def __init__(self, app: Marketplace) -> None:
        self._app = app
        self._found: dict[UUID, OrganisationView | None] = {}

    def __call__(self, organisation_id: UUID) -> OrganisationView | None:
        if organisation_id not in self._found:
            self._found[organisation_id] = self._app.organisations.get(organisation_id)
        return self._found[organisation_id]
