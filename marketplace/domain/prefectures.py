"""Japan's 47 prefectures (ISO 3166-2:JP), the home and delivery regions of the cluster."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from marketplace.domain.errors import RuleViolationError


class UnknownPrefectureError(RuleViolationError):
    """The text names no Japanese prefecture."""


@dataclass(frozen=True, order=True)
class Prefecture:
    """A prefecture, stored by its ISO 3166-2 code (``JP-10``) and shown by name."""

    code: str
    name_en: str
    name_ja: str
    region: str = field(compare=False)
    """One of Japan's eight traditional regions (Kanto, Kinki, ...), in English."""
    latitude: float = field(compare=False)
    longitude: float = field(compare=False)
    """Where the prefectural office stands: distances between prefectures are measured here."""

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


    def distance_km(self, other: Prefecture) -> float:
        """The great-circle distance between the two prefectural offices, in km."""
        lat1, lon1, lat2, lon2 = map(math.radians, (self.latitude, self.longitude,
                                                    other.latitude, other.longitude))
        a = (math.sin((lat2 - lat1) / 2) ** 2
             + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


EARTH_RADIUS_KM = 6371.0


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


PREFECTURES: tuple[Prefecture, ...] = (
    Prefecture("JP-01", "Hokkaido", "北海道", "Hokkaido", 43.06, 141.35),
    Prefecture("JP-02", "Aomori", "青森県", "Tohoku", 40.82, 140.74),
    Prefecture("JP-03", "Iwate", "岩手県", "Tohoku", 39.7, 141.15),
    Prefecture("JP-04", "Miyagi", "宮城県", "Tohoku", 38.27, 140.87),
    Prefecture("JP-05", "Akita", "秋田県", "Tohoku", 39.72, 140.1),
    Prefecture("JP-06", "Yamagata", "山形県", "Tohoku", 38.24, 140.36),
    Prefecture("JP-07", "Fukushima", "福島県", "Tohoku", 37.75, 140.47),
    Prefecture("JP-08", "Ibaraki", "茨城県", "Kanto", 36.34, 140.45),
    Prefecture("JP-09", "Tochigi", "栃木県", "Kanto", 36.57, 139.88),
    Prefecture("JP-10", "Gunma", "群馬県", "Kanto", 36.39, 139.06),
    Prefecture("JP-11", "Saitama", "埼玉県", "Kanto", 35.86, 139.65),
    Prefecture("JP-12", "Chiba", "千葉県", "Kanto", 35.61, 140.12),
    Prefecture("JP-13", "Tokyo", "東京都", "Kanto", 35.69, 139.69),
    Prefecture("JP-14", "Kanagawa", "神奈川県", "Kanto", 35.45, 139.64),
    Prefecture("JP-15", "Niigata", "新潟県", "Chubu", 37.9, 139.02),
    Prefecture("JP-16", "Toyama", "富山県", "Chubu", 36.7, 137.21),
    Prefecture("JP-17", "Ishikawa", "石川県", "Chubu", 36.59, 136.63),
    Prefecture("JP-18", "Fukui", "福井県", "Chubu", 36.07, 136.22),
    Prefecture("JP-19", "Yamanashi", "山梨県", "Chubu", 35.66, 138.57),
    Prefecture("JP-20", "Nagano", "長野県", "Chubu", 36.65, 138.18),
    Prefecture("JP-21", "Gifu", "岐阜県", "Chubu", 35.39, 136.72),
    Prefecture("JP-22", "Shizuoka", "静岡県", "Chubu", 34.98, 138.38),
    Prefecture("JP-23", "Aichi", "愛知県", "Chubu", 35.18, 136.91),
    Prefecture("JP-24", "Mie", "三重県", "Kinki", 34.73, 136.51),
    Prefecture("JP-25", "Shiga", "滋賀県", "Kinki", 35.0, 135.87),
    Prefecture("JP-26", "Kyoto", "京都府", "Kinki", 35.02, 135.76),
    Prefecture("JP-27", "Osaka", "大阪府", "Kinki", 34.69, 135.52),
    Prefecture("JP-28", "Hyogo", "兵庫県", "Kinki", 34.69, 135.18),
    Prefecture("JP-29", "Nara", "奈良県", "Kinki", 34.69, 135.83),
    Prefecture("JP-30", "Wakayama", "和歌山県", "Kinki", 34.23, 135.17),
    Prefecture("JP-31", "Tottori", "鳥取県", "Chugoku", 35.5, 134.24),
    Prefecture("JP-32", "Shimane", "島根県", "Chugoku", 35.47, 133.05),
    Prefecture("JP-33", "Okayama", "岡山県", "Chugoku", 34.66, 133.93),
    Prefecture("JP-34", "Hiroshima", "広島県", "Chugoku", 34.4, 132.46),
    Prefecture("JP-35", "Yamaguchi", "山口県", "Chugoku", 34.19, 131.47),
    Prefecture("JP-36", "Tokushima", "徳島県", "Shikoku", 34.07, 134.56),
    Prefecture("JP-37", "Kagawa", "香川県", "Shikoku", 34.34, 134.04),
    Prefecture("JP-38", "Ehime", "愛媛県", "Shikoku", 33.84, 132.77),
    Prefecture("JP-39", "Kochi", "高知県", "Shikoku", 33.56, 133.53),
    Prefecture("JP-40", "Fukuoka", "福岡県", "Kyushu", 33.61, 130.42),
    Prefecture("JP-41", "Saga", "佐賀県", "Kyushu", 33.25, 130.3),
    Prefecture("JP-42", "Nagasaki", "長崎県", "Kyushu", 32.74, 129.87),
    Prefecture("JP-43", "Kumamoto", "熊本県", "Kyushu", 32.79, 130.74),
    Prefecture("JP-44", "Oita", "大分県", "Kyushu", 33.24, 131.61),
    Prefecture("JP-45", "Miyazaki", "宮崎県", "Kyushu", 31.91, 131.42),
    Prefecture("JP-46", "Kagoshima", "鹿児島県", "Kyushu", 31.56, 130.56),
    Prefecture("JP-47", "Okinawa", "沖縄県", "Kyushu", 26.21, 127.68),
)

_BY_KEY: dict[str, Prefecture] = {}
for _p in PREFECTURES:
    # 群馬 as well as 群馬県; but 北海道 keeps its 道, which is part of its name.
    _short_ja = _p.name_ja if _p.name_ja == "北海道" else _p.name_ja[:-1]
    for _alias in (_p.code, _p.code[3:], str(int(_p.code[3:])), _p.name_en, _p.name_ja, _short_ja):
        _BY_KEY[_key(_alias)] = _p
