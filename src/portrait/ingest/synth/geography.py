"""The places the synthetic bank serves: Chinese cities from tier 1 to tier 5.

Figures are rounded public orders of magnitude (population, urbanisation, average
monthly wage in yuan, registered unemployment), enough to make tiers differ the way
they do in reality: tier-1 customers earn more, hold more and use the app more. The
last cities are ones where the bank has no branch yet: they have no customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.draws import FloatArray, IntArray
from portrait.schema.tables import DISTRICTS


@dataclass(frozen=True)
class City:
    code: int  # first four digits of the administrative division code
    name: str
    province: str
    pinyin: str
    tier: int
    population_10k: int
    urban_pct: float
    avg_salary: int
    unemployment_pct: float
    served: bool = True


CITIES: tuple[City, ...] = (
    City(1101, "北京市", "北京市", "Beijing", 1, 2186, 87.6, 19000, 4.2),
    City(3101, "上海市", "上海市", "Shanghai", 1, 2487, 89.3, 18000, 4.3),
    City(4401, "广州市", "广东省", "Guangzhou", 1, 1882, 86.5, 13500, 3.9),
    City(4403, "深圳市", "广东省", "Shenzhen", 1, 1779, 99.8, 15000, 3.5),
    City(5101, "成都市", "四川省", "Chengdu", 2, 2140, 80.5, 10000, 4.0),
    City(3301, "杭州市", "浙江省", "Hangzhou", 2, 1252, 84.0, 13000, 3.1),
    City(5001, "重庆市", "重庆市", "Chongqing", 2, 3191, 71.0, 9000, 4.6),
    City(4201, "武汉市", "湖北省", "Wuhan", 2, 1377, 84.7, 10500, 4.1),
    City(6101, "西安市", "陕西省", "Xi'an", 2, 1307, 79.6, 9500, 4.4),
    City(3205, "苏州市", "江苏省", "Suzhou", 2, 1295, 82.5, 11000, 3.2),
    City(1201, "天津市", "天津市", "Tianjin", 2, 1364, 85.5, 11000, 4.5),
    City(3201, "南京市", "江苏省", "Nanjing", 2, 954, 87.0, 12500, 3.3),
    City(4301, "长沙市", "湖南省", "Changsha", 2, 1051, 83.0, 10000, 3.8),
    City(4101, "郑州市", "河南省", "Zhengzhou", 2, 1300, 80.0, 8500, 4.3),
    City(4419, "东莞市", "广东省", "Dongguan", 2, 1049, 92.0, 8500, 2.9),
    City(3702, "青岛市", "山东省", "Qingdao", 2, 1037, 77.3, 10000, 3.4),
    City(2101, "沈阳市", "辽宁省", "Shenyang", 2, 920, 85.0, 8500, 5.1),
    City(3302, "宁波市", "浙江省", "Ningbo", 2, 969, 79.0, 11000, 2.8),
    City(3401, "合肥市", "安徽省", "Hefei", 3, 985, 85.0, 10000, 3.6),
    City(4406, "佛山市", "广东省", "Foshan", 3, 961, 95.0, 9500, 2.7),
    City(3501, "福州市", "福建省", "Fuzhou", 3, 845, 73.0, 9500, 3.5),
    City(3202, "无锡市", "江苏省", "Wuxi", 3, 749, 83.0, 10500, 2.9),
    City(3502, "厦门市", "福建省", "Xiamen", 3, 533, 90.0, 10500, 3.2),
    City(2301, "哈尔滨市", "黑龙江省", "Harbin", 3, 939, 66.0, 8000, 5.5),
    City(3701, "济南市", "山东省", "Jinan", 3, 944, 74.0, 9500, 3.7),
    City(2102, "大连市", "辽宁省", "Dalian", 3, 753, 80.0, 9000, 4.6),
    City(2201, "长春市", "吉林省", "Changchun", 3, 907, 64.0, 8500, 5.0),
    City(4501, "南宁市", "广西壮族自治区", "Nanning", 3, 894, 70.0, 8500, 4.5),
    City(1301, "石家庄市", "河北省", "Shijiazhuang", 3, 1123, 71.0, 8000, 4.4),
    City(3601, "南昌市", "江西省", "Nanchang", 3, 656, 79.0, 8500, 3.9),
    City(5201, "贵阳市", "贵州省", "Guiyang", 3, 640, 80.0, 8500, 3.8),
    City(1401, "太原市", "山西省", "Taiyuan", 3, 545, 85.0, 8000, 4.7),
    City(5301, "昆明市", "云南省", "Kunming", 3, 868, 81.0, 9000, 4.2),
    City(4103, "洛阳市", "河南省", "Luoyang", 4, 708, 60.0, 7000, 4.8),
    City(3402, "芜湖市", "安徽省", "Wuhu", 4, 374, 67.0, 8000, 3.9),
    City(4503, "桂林市", "广西壮族自治区", "Guilin", 4, 495, 55.0, 7000, 4.6),
    City(3607, "赣州市", "江西省", "Ganzhou", 4, 898, 57.0, 6800, 4.4),
    City(5107, "绵阳市", "四川省", "Mianyang", 4, 489, 54.0, 7500, 4.1),
    City(3210, "扬州市", "江苏省", "Yangzhou", 4, 458, 72.0, 8500, 3.0),
    City(4206, "襄阳市", "湖北省", "Xiangyang", 4, 527, 63.0, 7200, 4.2),
    City(4306, "岳阳市", "湖南省", "Yueyang", 4, 505, 60.0, 7000, 4.3),
    City(4408, "湛江市", "广东省", "Zhanjiang", 4, 703, 47.0, 7000, 3.9),
    City(5203, "遵义市", "贵州省", "Zunyi", 4, 658, 56.0, 7200, 4.0),
    City(6205, "天水市", "甘肃省", "Tianshui", 5, 295, 43.0, 6300, 5.3),
    City(5204, "安顺市", "贵州省", "Anshun", 5, 247, 48.0, 6500, 4.9),
    City(4115, "信阳市", "河南省", "Xinyang", 5, 618, 51.0, 6200, 4.7),
    City(4116, "周口市", "河南省", "Zhoukou", 5, 882, 42.0, 5800, 5.2),
    City(5303, "曲靖市", "云南省", "Qujing", 5, 576, 50.0, 6800, 4.6),
    City(5113, "南充市", "四川省", "Nanchong", 5, 556, 50.0, 6500, 4.8),
    City(4211, "黄冈市", "湖北省", "Huanggang", 5, 582, 48.0, 6300, 4.9),
    City(3415, "六安市", "安徽省", "Lu'an", 5, 440, 50.0, 6500, 4.5),
    City(5401, "拉萨市", "西藏自治区", "Lhasa", 4, 87, 60.0, 9000, 3.0, served=False),
    City(6301, "西宁市", "青海省", "Xining", 4, 248, 79.0, 7800, 3.8, served=False),
    City(6401, "银川市", "宁夏回族自治区", "Yinchuan", 4, 289, 81.0, 8000, 4.2, served=False),
)

#: Branches the bank runs in a city of each tier.
BRANCHES_BY_TIER = {1: 12, 2: 8, 3: 5, 4: 3, 5: 2}
#: How much more the bank is present in bigger cities (customers per inhabitant).
PRESENCE_BY_TIER = {1: 1.8, 2: 1.4, 3: 1.0, 4: 0.7, 5: 0.5}
#: County codes used as birthplaces in national ids (``<city code><county>``).
COUNTIES = np.arange(2, 8, dtype=np.int64)


@dataclass(frozen=True)
class Geography:
    """The cities as arrays, for vectorized lookups by city index."""

    cities: tuple[City, ...]

    @property
    def size(self) -> int:
        return len(self.cities)

    def ids(self) -> pa.Array:
        return col.text([f"{c.code}00" for c in self.cities])

    def names(self) -> pa.Array:
        return col.text([c.name for c in self.cities])

    def short_names(self) -> list[str]:
        """City names without the trailing 市, for institution names (``北京市财政局``)."""
        return [c.name.removesuffix("市") for c in self.cities]

    def tiers(self) -> IntArray:
        return np.array([c.tier for c in self.cities], dtype=np.int64)

    def salaries(self) -> FloatArray:
        return np.array([c.avg_salary for c in self.cities], dtype=np.float64)

    def codes(self) -> IntArray:
        return np.array([c.code for c in self.cities], dtype=np.int64)

    def branches(self) -> IntArray:
        return np.array([BRANCHES_BY_TIER[c.tier] if c.served else 0 for c in self.cities],
                        dtype=np.int64)

    def customer_weights(self) -> FloatArray:
        """Share of the bank's customers living in each city (zero where it has no branch)."""
        w = np.array([c.population_10k * PRESENCE_BY_TIER[c.tier] if c.served else 0.0
                      for c in self.cities])
        out: FloatArray = w / w.sum()
        return out

    def unserved(self) -> IntArray:
        """Cities without customers: their rows have no children and may be corrupted."""
        return np.array([i for i, c in enumerate(self.cities) if not c.served], dtype=np.int64)

    def pension_days(self) -> IntArray:
        """Day of the month each city's social security office pays pensions."""
        return np.array([5 + (c.code * 7) % 16 for c in self.cities], dtype=np.int64)

    def table(self) -> pa.Table:
        """The ``districts`` table."""
        cs = self.cities
        attributes = col.json_objects({
            "pinyin": col.text([c.pinyin for c in cs]),
            "branches": pa.array(self.branches()),
            "admin_code": col.text([f"{c.code}00" for c in cs]),
        })
        return col.frame(DISTRICTS, {
            "district_id": self.ids(),
            "name": self.names(),
            "region": col.text([c.province for c in cs]),
            "city_tier": pa.array(self.tiers()),
            "population": pa.array([c.population_10k * 10_000 for c in cs], type=pa.int64()),
            "urban_ratio": pa.array([c.urban_pct for c in cs], type=pa.float64()),
            "avg_salary": pa.array(self.salaries()),
            "unemployment_rate": pa.array([c.unemployment_pct for c in cs], type=pa.float64()),
            "attributes": attributes,
        }, len(cs))


GEOGRAPHY = Geography(CITIES)
