"""Japan's 47 prefectures (ISO 3166-2:JP), the home and delivery regions of the cluster."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from marketplace.domain.errors import RuleViolationError


class UnknownPrefectureError(RuleViolationError):
    """The text names no Japanese prefecture."""


@dataclass(frozen=True, order=True)
class Prefecture:
    """A prefecture, stored by its ISO 3166-2 code (``JP-10``) and shown by name."""

    code: str
    name_en: str
    name_ja: str

    def __deepcopy__(self, memo: dict[int, object]) -> Prefecture:
        return self  # one shared, immutable instance per prefecture

    @classmethod
    def parse(cls, text: str) -> Prefecture:
        """Accepts the ISO code, the JIS number, or the English or Japanese name."""
        key = _key(text)
        found = _BY_KEY.get(key)
        if found is None:
            raise UnknownPrefectureError(
                f"{text!r} is not a Japanese prefecture; give its name (Gunma, 群馬県) "
                "or its ISO 3166-2 code (JP-10)")
        return found


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


PREFECTURES: tuple[Prefecture, ...] = (
    Prefecture("JP-01", "Hokkaido", "北海道"),
    Prefecture("JP-02", "Aomori", "青森県"),
    Prefecture("JP-03", "Iwate", "岩手県"),
    Prefecture("JP-04", "Miyagi", "宮城県"),
    Prefecture("JP-05", "Akita", "秋田県"),
    Prefecture("JP-06", "Yamagata", "山形県"),
    Prefecture("JP-07", "Fukushima", "福島県"),
    Prefecture("JP-08", "Ibaraki", "茨城県"),
    Prefecture("JP-09", "Tochigi", "栃木県"),
    Prefecture("JP-10", "Gunma", "群馬県"),
    Prefecture("JP-11", "Saitama", "埼玉県"),
    Prefecture("JP-12", "Chiba", "千葉県"),
    Prefecture("JP-13", "Tokyo", "東京都"),
    Prefecture("JP-14", "Kanagawa", "神奈川県"),
    Prefecture("JP-15", "Niigata", "新潟県"),
    Prefecture("JP-16", "Toyama", "富山県"),
    Prefecture("JP-17", "Ishikawa", "石川県"),
    Prefecture("JP-18", "Fukui", "福井県"),
    Prefecture("JP-19", "Yamanashi", "山梨県"),
    Prefecture("JP-20", "Nagano", "長野県"),
    Prefecture("JP-21", "Gifu", "岐阜県"),
    Prefecture("JP-22", "Shizuoka", "静岡県"),
    Prefecture("JP-23", "Aichi", "愛知県"),
    Prefecture("JP-24", "Mie", "三重県"),
    Prefecture("JP-25", "Shiga", "滋賀県"),
    Prefecture("JP-26", "Kyoto", "京都府"),
    Prefecture("JP-27", "Osaka", "大阪府"),
    Prefecture("JP-28", "Hyogo", "兵庫県"),
    Prefecture("JP-29", "Nara", "奈良県"),
    Prefecture("JP-30", "Wakayama", "和歌山県"),
    Prefecture("JP-31", "Tottori", "鳥取県"),
    Prefecture("JP-32", "Shimane", "島根県"),
    Prefecture("JP-33", "Okayama", "岡山県"),
    Prefecture("JP-34", "Hiroshima", "広島県"),
    Prefecture("JP-35", "Yamaguchi", "山口県"),
    Prefecture("JP-36", "Tokushima", "徳島県"),
    Prefecture("JP-37", "Kagawa", "香川県"),
    Prefecture("JP-38", "Ehime", "愛媛県"),
    Prefecture("JP-39", "Kochi", "高知県"),
    Prefecture("JP-40", "Fukuoka", "福岡県"),
    Prefecture("JP-41", "Saga", "佐賀県"),
    Prefecture("JP-42", "Nagasaki", "長崎県"),
    Prefecture("JP-43", "Kumamoto", "熊本県"),
    Prefecture("JP-44", "Oita", "大分県"),
    Prefecture("JP-45", "Miyazaki", "宮崎県"),
    Prefecture("JP-46", "Kagoshima", "鹿児島県"),
    Prefecture("JP-47", "Okinawa", "沖縄県"),
)

_BY_KEY: dict[str, Prefecture] = {}
for _p in PREFECTURES:
    # 群馬 as well as 群馬県; but 北海道 keeps its 道, which is part of its name.
    _short_ja = _p.name_ja if _p.name_ja == "北海道" else _p.name_ja[:-1]
    for _alias in (_p.code, _p.code[3:], str(int(_p.code[3:])), _p.name_en, _p.name_ja, _short_ja):
        _BY_KEY[_key(_alias)] = _p
