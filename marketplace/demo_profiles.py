"""The demo firms' supplier profiles: what each can do, in its own words, JA and EN.

The cross-industry example: 上州精密プレス presses body parts for car makers and has never
served care-bed makers, yet a need for care-bed frame parts (介護ベッドのフレーム部品, プレス)
finds it next to 太田プレス工業, which already does; the reasons say it is a cross-industry
match.
"""

from __future__ import annotations

from typing import Any

#: key (as in ``demo.ORGANISATIONS``): the profile's fields, as publish_supplier_profile takes.
SUPPLIER_PROFILES: dict[str, dict[str, Any]] = {
    "joshu_press": {
        "processes": ["press", "deep_drawing"],
        "materials": ["spcc", "sus304", "high_tensile_steel"],
        "certifications": ["iatf_16949", "iso_9001"], "industries": ["automotive"],
        "capacity": "80〜400tプレス9台、月産60万個 / 9 presses of 80-400 t, 600k parts a month",
        "description_ja": "自動車メーカー向けのブラケット、シートレール、排気系の深絞り部品を"
                          "順送金型で量産。試作から金型の段取りまで社内で行います。",
        "description_en": "Brackets, seat rails and deep-drawn exhaust parts for car makers, on "
                          "progressive dies, from prototype to volume; tooling set-up in house."},
    "ota_press": {
        "processes": ["press", "sheet_metal", "welding"], "materials": ["spcc", "ss400"],
        "certifications": ["iso_9001"], "industries": ["automotive", "nursing_care"],
        "capacity": "月産30万個、溶接ロボット4台 / 300k parts a month, 4 welding robots",
        "description_ja": "介護ベッドや車いすのフレーム部品と、自動車用プレス部品。プレスから溶接、"
                          "組付けまで一貫で納めます。",
        "description_en": "Frame parts for care beds and wheelchairs, and pressed parts for cars: "
                          "pressed, welded and assembled under one roof."},
    "akagi_seiki": {
        "processes": ["precision_machining", "turning"],
        "materials": ["a5052", "sus304", "titanium"],
        "certifications": ["iso_9001", "iso_13485"], "industries": ["medical", "aerospace"],
        "capacity": "5軸マシニング6台 / six 5-axis machining centres",
        "description_ja": "医療機器・航空機向けの精密切削部品。公差±0.005mmを試作1個から量産まで。",
        "description_en": "Precision-machined parts for medical devices and aircraft, to ±0.005 "
                          "mm, from a single prototype to series."},
    "kiryu_seimitsu": {
        "processes": ["turning", "precision_machining"], "materials": ["a5052", "s45c", "brass"],
        "certifications": ["iso_9001"], "industries": ["industrial_machinery"],
        "description_ja": "繊維機械で培った軸・ローラーの量産旋削。NC旋盤20台で小径品を短納期で。",
        "description_en": "Shafts and rollers turned in volume, learned on textile machinery; "
                          "20 CNC lathes for small diameters at short lead times."},
    "isesaki_jushi": {
        "processes": ["injection_moulding", "insert_moulding"], "materials": ["abs", "pp"],
        "certifications": ["iso_9001", "iso_14001"], "industries": ["automotive", "electronics"],
        "capacity": "50〜450t成形機18台 / 18 moulding machines of 50-450 t",
        "description_ja": "車載・家電向けの樹脂筐体と内装部品。金属インサート品も得意です。",
        "description_en": "Plastic housings and interior trim for cars and appliances, metal "
                          "inserts included."},
    "maebashi_plastics": {
        "processes": ["injection_moulding", "assembly"], "materials": ["abs", "pc"],
        "certifications": ["iso_9001"], "industries": ["electronics", "consumer_goods"],
        "description_ja": "家電の外装部品を成形から塗装前の組立まで。透明PCの外観品質に"
                          "自信があります。",
        "description_en": "Appliance covers moulded and assembled, with clear polycarbonate of "
                          "flawless appearance."},
    "takasaki_mekki": {
        "processes": ["plating"], "materials": ["steel", "brass", "copper"],
        "certifications": ["iso_14001"], "industries": ["automotive", "electronics"],
        "description_ja": "ボルト・プレス部品への亜鉛めっき（三価クロメート）とニッケルめっき。",
        "description_en": "Zinc plating with trivalent chromate, and nickel plating, for "
                          "fasteners and pressed parts."},
    "ota_kohan": {
        "processes": ["laser_cutting"], "materials": ["spcc", "sus304", "a5052"],
        "certifications": ["iso_9001"], "industries": ["automotive", "construction"],
        "description_ja": "鋼板・ステンレス・アルミの在庫販売、シャーリングとスリット、"
                          "レーザー切断。",
        "description_en": "Steel, stainless and aluminium sheet from stock: sheared, slit or "
                          "laser cut to size."},
    "ryomo_metal": {
        "processes": ["laser_cutting"], "materials": ["spcc", "sus304", "a5052"],
        "industries": ["industrial_machinery"],
        "description_ja": "金属材料の小口販売と切り板。1枚から即日出荷します。",
        "description_en": "Metal stock in small lots, cut to size, shipped the same day from a "
                          "single sheet."},
    "tone_jushi": {
        "processes": ["packaging"], "materials": ["abs", "pp", "pom"],
        "industries": ["automotive", "electronics"],
        "description_ja": "樹脂ペレットの小分けと着色マスターバッチ。25kg袋から配送します。",
        "description_en": "Resin pellets repacked in small lots, and colour masterbatch, "
                          "delivered from 25 kg bags."},
    "kanetsu_yuka": {
        "processes": ["filling"], "industries": ["automotive", "industrial_machinery"],
        "description_ja": "切削油・プレス油の小分け充填と、工場のクーラント管理サービス。",
        "description_en": "Cutting and press oils filled in small cans, and coolant management "
                          "on the shop floor."},
    "joshu_shiki": {
        "processes": ["corrugated_boxes", "printing", "die_cutting"], "materials": ["paper"],
        "certifications": ["iso_14001"], "industries": ["food", "consumer_goods"],
        "description_ja": "段ボールケースと印刷化粧箱。トムソン加工で仕切りも一貫製作。",
        "description_en": "Corrugated cases and printed gift boxes, with die-cut partitions made "
                          "in house."},
    "kiryu_danboru": {
        "processes": ["corrugated_boxes"], "materials": ["paper"],
        "industries": ["consumer_goods", "electronics"],
        "description_ja": "段ボール箱と緩衝用の仕切りを小ロットから。",
        "description_en": "Corrugated boxes and cushioning partitions, in small lots."},
}
