"""A small cluster of firms in several industries, with supplier profiles, for matching tests.

The descriptions are written the way firms write them: each in its own trade's words. The
press shop never says "steel", "parts", "frame" or "care"; the vacuum packer has no English
description at all. So a buyer from another industry finds them only through the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from marketplace.application import Marketplace


@dataclass(frozen=True)
class Firm:
    name_ja: str
    name_en: str
    prefecture: str
    profile: dict[str, Any] = field(default_factory=dict)
    roles: tuple[str, ...] = ("supplier",)


FIRMS: dict[str, Firm] = {
    "ota_press": Firm("太田プレス工業", "Ota Press Industries", "Gunma", {
        "processes": ["press", "deep_drawing", "welding"],
        "materials": ["spcc", "sphc", "high_tensile_steel"],
        "certifications": ["IATF 16949", "ISO 9001"], "industries": ["automotive"],
        "capacity": "200〜600tプレス12台、月産80万個 / 12 presses of 200-600 t",
        "description_ja": "自動車メーカー向けにボディ骨格のブラケットやメンバーを順送金型で"
                          "量産しています。",
        "description_en": "Progressive-die stampings of body brackets and cross members for car "
                          "makers, from prototype to mass production."}),
    "naniwa_press": Firm("浪速プレス", "Naniwa Press", "Osaka", {
        "processes": ["press", "deep_drawing"], "materials": ["spcc", "sus304", "secc"],
        "certifications": ["iso_9001"], "industries": ["electronics", "consumer_goods"],
        "description_ja": "家電・厨房機器向けの金属部品。ステンレスの深絞りが得意です。",
        "description_en": "Appliance and kitchen-equipment components, with stainless deep "
                          "drawing as our speciality."}),
    "utsunomiya_weld": Firm("宇都宮溶接", "Utsunomiya Welding", "Tochigi", {
        "processes": ["welding", "pipe_bending", "painting"],
        "materials": ["ss400", "stainless_steel", "aluminium"],
        "certifications": ["iso_9001"], "industries": ["construction", "nursing_care"],
        "description_ja": "手すりや車いす、介護ベッドのフレームなど福祉用具のパイプ曲げと溶接。",
        "description_en": "Pipe bending and welding for handrails, wheelchairs and care bed "
                          "frames."}),
    "takasaki_mekki": Firm("高崎メッキ工業", "Takasaki Plating", "Gunma", {
        "processes": ["plating"], "materials": ["steel", "brass", "copper"],
        "certifications": ["iso_14001"], "industries": ["automotive", "electronics"],
        "description_ja": "ボルトやブラケットへの亜鉛めっき（三価クロメート）とニッケルめっき。",
        "description_en": "Zinc plating with trivalent chromate and nickel plating for "
                          "fasteners and pressed parts."}),
    "akagi_seiki": Firm("赤城精機", "Akagi Seiki", "Gunma", {
        "processes": ["precision_machining", "turning", "grinding"],
        "materials": ["a5052", "a7075", "sus304", "titanium"],
        "certifications": ["iso_9001", "iso_13485"], "industries": ["medical", "aerospace"],
        "description_ja": "医療機器や航空機向けの精密切削部品を5軸マシニングで試作から量産まで。",
        "description_en": "Precision-machined components for medical devices and aircraft on "
                          "5-axis machining centres, tolerances to 0.005 mm."}),
    "kiryu_seimitsu": Firm("桐生精密", "Kiryu Precision", "Gunma", {
        "processes": ["turning", "precision_machining"], "materials": ["s45c", "brass", "sus304"],
        "certifications": ["iso_9001"], "industries": ["industrial_machinery"],
        "description_ja": "NC旋盤による軸・ピン・ブッシュの量産旋削。",
        "description_en": "High-volume CNC turning of shafts, pins and bushes."}),
    "isesaki_jushi": Firm("伊勢崎樹脂成形", "Isesaki Plastic Moulding", "Gunma", {
        "processes": ["injection_moulding", "insert_moulding"],
        "materials": ["abs", "pp", "pc", "pom"], "certifications": ["iso_9001", "iso_14001"],
        "industries": ["electronics", "automotive"],
        "description_ja": "家電や車載機器の樹脂筐体・内装部品を射出成形。",
        "description_en": "Moulded housings and interior trim for appliances and in-car "
                          "electronics."}),
    "echigo_pack": Firm("越後パック", "Echigo Pack", "Niigata", {
        "processes": ["vacuum_packaging", "filling", "packaging"],
        "materials": ["packaging_film"], "certifications": ["FSSC 22000", "HACCP"],
        "industries": ["food"],
        "description_ja": "米菓や惣菜、レトルト食品の真空パックと充填を請け負います。酸素を抜いて"
                          "長期保存を実現。"}),
    "kanto_cleanpack": Firm("関東クリーン包装", "Kanto Clean Packaging", "Saitama", {
        "processes": ["cleanroom_packaging", "packaging"], "materials": ["pe", "packaging_film"],
        "certifications": ["iso_9001", "iso_13485"], "industries": ["medical", "electronics"],
        "description_ja": "医療機器・半導体部品のクリーンルーム内での洗浄と包装。",
        "description_en": "Cleaning and bagging of medical and semiconductor components in a "
                          "class 7 cleanroom."}),
    "joshu_shiki": Firm("上州紙器", "Joshu Paper Box", "Gunma", {
        "processes": ["corrugated_boxes", "printing", "die_cutting"], "materials": ["paper"],
        "certifications": ["iso_14001"], "industries": ["food", "consumer_goods"],
        "description_ja": "青果・食品向けの段ボールケースと化粧箱。",
        "description_en": "Corrugated shipping cases and printed gift boxes for produce."}),
    "maebashi_care": Firm("前橋ケアベッド", "Maebashi Care Beds", "Gunma", roles=("buyer",)),
}


def register_firms(marketplace: Marketplace) -> dict[str, UUID]:
    """Registers every firm and publishes the suppliers' profiles; their ids by key."""
    ids = {}
    for key, firm in FIRMS.items():
        ids[key] = marketplace.register_organisation(
            name_ja=firm.name_ja, name_en=firm.name_en, roles=list(firm.roles),
            prefecture=firm.prefecture).organisation_id
        if firm.profile:
            marketplace.publish_supplier_profile(ids[key], **firm.profile)
    return ids
