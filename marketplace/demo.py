"""A demo cluster: press shops, machinists, moulders and packagers of the northern Kanto."""

from __future__ import annotations

from typing import Any

from marketplace.application import Marketplace

DEMO_ORGANISATIONS: list[dict[str, Any]] = [
    {"name_ja": "上州精密プレス株式会社", "name_en": "Joshu Precision Press Co., Ltd.",
     "roles": ["buyer", "supplier"], "prefecture": "Gunma",
     "capabilities": ["press", "sheet metal", "automotive", "spcc"]},
    {"name_ja": "赤城切削工業", "name_en": "Akagi Machining Works",
     "roles": ["buyer", "supplier"], "prefecture": "Gunma",
     "capabilities": ["precision machining", "aluminium", "cutting oil"]},
    {"name_ja": "桐生モールド株式会社", "name_en": "Kiryu Mould Co.",
     "roles": ["buyer"], "prefecture": "Gunma",
     "capabilities": ["injection moulding", "pp", "abs", "resin pellets"]},
    {"name_ja": "太田鋼板商事", "name_en": "Ota Steel Sheet Trading",
     "roles": ["supplier"], "prefecture": "Gunma",
     "capabilities": ["steel sheet", "spcc", "sphc", "coil slitting"]},
    {"name_ja": "両毛樹脂販売株式会社", "name_en": "Ryomo Resin Sales",
     "roles": ["supplier"], "prefecture": "Tochigi",
     "capabilities": ["resin pellets", "pp", "abs", "pom"]},
    {"name_ja": "宇都宮溶接", "name_en": "Utsunomiya Welding",
     "roles": ["buyer", "supplier"], "prefecture": "Tochigi",
     "capabilities": ["welding", "assembly", "care beds"]},
    {"name_ja": "北関東パッケージ株式会社", "name_en": "Kita-Kanto Packaging",
     "roles": ["buyer", "supplier"], "prefecture": "Saitama",
     "capabilities": ["packaging", "vacuum packing", "cardboard"]},
    {"name_ja": "高崎熱処理", "name_en": None,
     "roles": ["supplier"], "prefecture": "Gunma",
     "capabilities": ["heat treatment", "carburising"]},
    {"name_ja": None, "name_en": "Kanto Lubricants K.K.",
     "roles": ["supplier"], "prefecture": "Saitama",
     "capabilities": ["cutting oil", "lubricants"]},
]


def seed_demo_cluster(marketplace: Marketplace) -> int:
    """Registers the demo organisations into an empty marketplace; returns how many."""
    if marketplace.organisations.count():
        return 0
    for organisation in DEMO_ORGANISATIONS:
        marketplace.register_organisation(**organisation)
    return len(DEMO_ORGANISATIONS)
