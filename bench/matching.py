"""Supplier matching figures: ``match`` for realistic needs against 10,000 supplier profiles.

The profiles are generated (seeded, so every run ranks the same data): firms of several
industries with one to three processes, materials that go with them, certifications,
prefectures weighted towards the manufacturing belts, and descriptions in Japanese and English
put together from their trade's words. They are recorded as events on the ledger in batches
(an organisation's registration and its profile publication, through the same projectors as
every command), so the read model and its full-text index are what production would hold.

The queries are needs as buyers write them, half Japanese (no spaces) and half English, some
with a delivery prefecture, some requiring a certification. Each is timed end to end
(``SupplierMatching.match``: reading the vocabulary, both indexes, ranking, reasons); the
figures are the median and the 95th percentile over all queries, per database.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from events import SettableClock
from marketplace import schema
from marketplace.application import Marketplace
from marketplace.domain import PREFECTURES, Organisation, Profile
from marketplace.domain.capabilities import MATERIALS, PROCESSES
from marketplace.readmodels.matching import MatchQuery
from tests.databases import PostgresUnavailableError, postgres_database, sqlite_database

PROFILES = 10_000
QUERIES = 240
BATCH = 250  # organisations per transaction: 500 events
WARM_UP = 10
TARGETS: dict[str, float] = {"match_p95_ms_sqlite": 50, "match_p95_ms_postgres": 50}

#: industry: (Japanese products, English products, processes, materials)
TRADES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "automotive": (("ブラケット", "シートフレーム", "マフラー部品", "ボディ骨格"),
                   ("brackets", "seat frames", "exhaust parts", "body members"),
                   ("press", "deep_drawing", "welding", "die_casting", "painting"),
                   ("spcc", "sphc", "high_tensile_steel", "secc", "adc12")),
    "medical": (("手術器具", "インプラント", "カテーテル部品", "検査機器筐体"),
                ("surgical instruments", "implants", "catheter parts", "analyser housings"),
                ("precision_machining", "turning", "cleanroom_packaging", "polishing"),
                ("sus316", "titanium", "pc", "pe")),
    "food": (("レトルト食品", "米菓", "冷凍食品", "惣菜"),
             ("retort meals", "rice crackers", "frozen food", "ready meals"),
             ("vacuum_packaging", "filling", "packaging", "corrugated_boxes", "printing"),
             ("packaging_film", "paper", "pet", "pp")),
    "electronics": (("家電筐体", "制御盤", "基板ユニット", "コネクタ"),
                    ("appliance housings", "control panels", "board assemblies", "connectors"),
                    ("injection_moulding", "sheet_metal", "electronics_assembly", "plating"),
                    ("abs", "pc", "secc", "copper", "brass")),
    "industrial_machinery": (("工作機械部品", "シャフト", "ギア", "油圧ブロック"),
                             ("machine tool parts", "shafts", "gears", "hydraulic blocks"),
                             ("precision_machining", "turning", "grinding", "heat_treatment",
                              "casting", "forging"),
                             ("s45c", "ss400", "a5052", "sus304")),
    "nursing_care": (("介護ベッド", "車いす", "手すり", "歩行器"),
                     ("care beds", "wheelchairs", "handrails", "walkers"),
                     ("pipe_bending", "welding", "sewing", "assembly", "painting"),
                     ("ss400", "aluminium", "textile", "stainless_steel")),
    "aerospace": (("航空機部品", "衛星構造体", "エンジン部品"),
                  ("aircraft parts", "satellite structures", "engine parts"),
                  ("precision_machining", "heat_treatment", "anodising", "additive_manufacturing"),
                  ("a7075", "titanium", "a6061")),
    "construction": (("建材パネル", "階段", "外装金物"),
                     ("building panels", "staircases", "facade hardware"),
                     ("sheet_metal", "laser_cutting", "welding", "painting"),
                     ("ss400", "secc", "aluminium", "stainless_steel")),
}
CERTIFICATIONS = {"automotive": "iatf_16949", "medical": "iso_13485", "food": "fssc_22000",
                  "aerospace": "jis_q_9100"}
#: Prefectures of the manufacturing belts come up more often, as they do.
BELT = ("JP-10", "JP-09", "JP-08", "JP-11", "JP-13", "JP-14", "JP-22", "JP-23", "JP-27",
        "JP-28", "JP-15", "JP-20", "JP-21", "JP-34", "JP-40")


def profile_fields(rng: random.Random, i: int) -> tuple[str, dict[str, Any]]:
    """A supplier's home prefecture and profile, of one trade, in its own words."""
    industry = rng.choice(list(TRADES))
    products_ja, products_en, processes, materials = TRADES[industry]
    chosen = rng.sample(processes, rng.randint(1, 3))
    held = rng.sample(materials, rng.randint(1, len(materials)))
    product = rng.randrange(len(products_ja))
    labels_ja = "・".join(PROCESSES[p].label_ja for p in chosen)
    labels_en = " and ".join(PROCESSES[p].label_en.lower() for p in chosen)
    certifications = ["iso_9001"] if rng.random() < 0.6 else []
    if industry in CERTIFICATIONS and rng.random() < 0.5:
        certifications.append(CERTIFICATIONS[industry])
    prefecture = rng.choice(BELT) if rng.random() < 0.7 else rng.choice(PREFECTURES).code
    return prefecture, {
        "processes": chosen, "materials": held, "certifications": certifications,
        "industries": [industry], "capacity": f"月産{rng.randint(1, 90)}万個 / "
                                              f"{rng.randint(2, 40)} machines",
        "description_ja": f"{products_ja[product]}向けに{MATERIALS[held[0]].label_ja}の"
                          f"{labels_ja}を手がけています。"
                          f"試作から月産{rng.randint(1, 50)}万個の量産まで対応。"
                          f"創業{rng.randint(1950, 2015)}年、社員{rng.randint(8, 300)}名。",
        "description_en": f"{labels_en.capitalize()} of {MATERIALS[held[0]].label_en} for "
                          f"{products_en[product]}, from prototypes to volume runs; "
                          f"founded {rng.randint(1950, 2015)}, firm no. {i}."}


def queries(rng: random.Random) -> list[MatchQuery]:
    """Needs as buyers write them: Japanese without spaces, English, with and without terms."""
    found = []
    for i in range(QUERIES):
        industry = rng.choice(list(TRADES))
        products_ja, products_en, processes, materials = TRADES[industry]
        process, material = PROCESSES[rng.choice(processes)], MATERIALS[rng.choice(materials)]
        product = rng.randrange(len(products_ja))
        text = (f"{products_ja[product]}用の{material.label_ja}部品、{process.label_ja}で月"
                f"{rng.randint(1, 20)}千個" if i % 2 else
                f"{process.label_en} of {material.label_en} for {products_en[product]}, "
                f"{rng.randint(1, 20)}k pieces a month")
        required = ({CERTIFICATIONS[industry]} if industry in CERTIFICATIONS
                    and rng.random() < 0.2 else set())
        found.append(MatchQuery(text=text, prefecture=rng.choice(BELT) if i % 3 else None,
                                certifications=frozenset(required)))
    return found


def seed_profiles(marketplace: Marketplace, count: int, progress: Callable[[str], None]) -> None:
    """Records ``count`` suppliers with profiles, in batches of BATCH per transaction."""
    rng = random.Random(20261122)  # noqa: S311 (reproducible data, not a secret)
    clock = SettableClock(marketplace.clock())
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, count)):
            prefecture, fields = profile_fields(rng, i)
            organisation = Organisation.register(Profile.create(
                name_ja=f"ベンチ工業{i}", name_en=f"Bench Works {i}", roles=["supplier"],
                prefecture=prefecture), at=clock())
            organisation.publish_supplier_profile(at=clock(), **fields)
            batch.append(organisation)
        marketplace.save(*batch)
    if marketplace.engine.dialect.name == "postgresql":
        # What autovacuum would do soon after such a load: the planner needs statistics to
        # choose the indexes. (SQLite gathers none unless asked; the queries do not need them.)
        with marketplace.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    progress(f"{count:,} supplier profiles recorded in {time.perf_counter() - started:.1f} s")


def measure_matching(url: str, progress: Callable[[str], None]) -> dict[str, float]:
    """Median and p95 of ``match`` in ms over QUERIES needs against PROFILES profiles."""
    marketplace = Marketplace(url)
    seed_profiles(marketplace, PROFILES, progress)
    needs = queries(random.Random(7))  # noqa: S311 (reproducible needs, not a secret)
    for query in needs[:WARM_UP]:
        marketplace.matching.match(query)
    times, found = [], 0
    for query in needs:
        started = time.perf_counter()
        matches = marketplace.matching.match(query)
        times.append((time.perf_counter() - started) * 1000)
        found += bool(matches)
    p95 = statistics.quantiles(times, n=100)[94]
    progress(f"{len(needs)} needs: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
             f"max {max(times):.1f} ms; {found} found suppliers")
    return {"median": statistics.median(times), "p95": p95}


def measure_matching_part(progress: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """The figures, on a fresh SQLite file and a fresh PostgreSQL database (skipped, and said
    so, when no PostgreSQL answers)."""
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for kind in ("sqlite", "postgres"):
            progress(f"{kind}:")
            try:
                with (sqlite_database(Path(scratch)) if kind == "sqlite"
                      else postgres_database()) as url:
                    schema.upgrade(url)
                    result = measure_matching(url, lambda line: progress(f"  {line}"))
            except PostgresUnavailableError as error:
                progress(f"  skipped: {error}")
                continue
            figures[f"match_median_ms_{kind}"] = {"value": round(result["median"], 1),
                                                  "unit": "ms"}
            figures[f"match_p95_ms_{kind}"] = {"value": round(result["p95"], 1), "unit": "ms"}
    return figures
