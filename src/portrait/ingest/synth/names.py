"""Chinese personal data: names, national identity numbers, mobile phones, e-mails.

Names come from Faker's zh_CN lists (surnames with their real frequencies, given names
by gender), drawn with numpy rather than one Faker call per row, which would be far too
slow for a million customers. National ids follow GB 11643: a six-digit birthplace
code, the birth date, a sequence number whose last digit is odd for men and even for
women, and an ISO 7064 MOD 11-2 check character. Ids and phone numbers are unique
across the whole generated bank, as they are in reality (:class:`IdentityRegistry`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.person.zh_CN import Provider as PersonProvider
from faker.providers.phone_number.zh_CN import Provider as PhoneProvider

from portrait.ingest.synth import columns as col
from portrait.ingest.synth.draws import BoolArray, FloatArray, IntArray, chance, weighted

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = "10X98765432"

_PINYIN = (
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 吴:wu 赵:zhao 周:zhou 徐:xu "
    "孙:sun 马:ma 朱:zhu 胡:hu 林:lin 郭:guo 何:he 高:gao 罗:luo 郑:zheng 梁:liang 谢:xie "
    "宋:song 唐:tang 许:xu 邓:deng 冯:feng 韩:han 曹:cao 曾:zeng 彭:peng 萧:xiao 蔡:cai "
    "潘:pan 田:tian 董:dong 袁:yuan 于:yu 余:yu 叶:ye 蒋:jiang 杜:du 苏:su 魏:wei 程:cheng "
    "吕:lv 丁:ding 沈:shen 任:ren 姚:yao 卢:lu 傅:fu 钟:zhong 姜:jiang 崔:cui 谭:tan "
    "廖:liao 范:fan 汪:wang 陆:lu 金:jin 石:shi 戴:dai 贾:jia 韦:wei 夏:xia 邱:qiu 方:fang "
    "侯:hou 邹:zou 熊:xiong 孟:meng 秦:qin 白:bai 江:jiang 阎:yan 薛:xue 尹:yin 段:duan "
    "雷:lei 黎:li 史:shi 龙:long 陶:tao 贺:he 顾:gu 毛:mao 郝:hao 龚:gong 邵:shao 万:wan "
    "钱:qian 严:yan 赖:lai 覃:qin 洪:hong 武:wu 莫:mo 孔:kong 汤:tang 向:xiang 常:chang "
    "温:wen 康:kang 施:shi 文:wen 牛:niu 樊:fan 葛:ge 邢:xing 安:an 齐:qi 易:yi 乔:qiao "
    "伍:wu 庞:pang 颜:yan 倪:ni 庄:zhuang"
)
#: Romanisation of the commonest surnames, for e-mail addresses such as ``wang1988@163.com``.
SURNAME_PINYIN: dict[str, str] = dict(pair.split(":") for pair in _PINYIN.split())
MAIL_DOMAINS = ("163.com", "126.com", "sina.com", "foxmail.com", "139.com", "gmail.com",
                "outlook.com")
MAIL_DOMAIN_WEIGHTS = (0.35, 0.2, 0.1, 0.1, 0.1, 0.08, 0.07)


def check_index(body: IntArray) -> IntArray:
    """Index into :data:`CHECK_CHARS` of the check character of 17-digit id bodies."""
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for weight in ID_WEIGHTS[::-1]:  # least significant digit carries the last weight
        total += (rest % 10) * weight
        rest //= 10
    out: IntArray = total % 11
    return out


def check_char(national_id: str) -> str:
    """The check character a national id's first 17 digits call for (for tests and docs)."""
    total = sum(int(d) * int(w) for d, w in zip(national_id[:17], ID_WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


class IdentityBook:
    """Draws personal data; holds the name lists and phone prefixes as arrays."""

    def __init__(self) -> None:
        surnames = list(PersonProvider.last_names.items())
        self._surnames = col.text([s for s, _ in surnames])
        self._surname_weights = np.array([w for _, w in surnames], dtype=np.float64)
        self._surname_pinyin = col.text([SURNAME_PINYIN.get(s, "") for s, _ in surnames])
        self._has_pinyin = np.array([s in SURNAME_PINYIN for s, _ in surnames])
        male, female = PersonProvider.first_names_male, PersonProvider.first_names_female
        self._given = col.text([*male, *female])
        self._is_single = np.array([len(n) == 1 for n in (*male, *female)])
        self._given_ranges = ((0, len(male)), (len(male), len(male) + len(female)))
        singles_m = [n for n in male if len(n) == 1]
        singles_f = [n for n in female if len(n) == 1]
        self._singles = col.text([*singles_m, *singles_f])
        self._single_ranges = ((0, len(singles_m)),
                               (len(singles_m), len(singles_m) + len(singles_f)))
        self._prefixes = np.array(PhoneProvider.phonenumber_prefixes, dtype=np.int64)

    def names(self, rng: np.random.Generator, female: BoolArray) -> tuple[pa.Array, IntArray]:
        """Full names (surname first) and the surname drawn for each person.

        About half of the one-character given names get a second character, as modern
        names mostly have two.
        """
        n = len(female)
        surname = weighted(rng, self._surname_weights, n)
        first = _pick(rng, self._given_ranges, female)
        second = _pick(rng, self._single_ranges, female)
        one = pc.take(self._given, first)
        two = self._is_single[first] & chance(rng, 0.5, n)
        given = pc.if_else(pa.array(two), col.concat(one, pc.take(self._singles, second)), one)
        return col.concat(pc.take(self._surnames, surname), given), surname

    def national_ids(self, rng: np.random.Generator, birthplace: IntArray, birth: IntArray,
                     female: BoolArray) -> pa.Array:
        """18-character national ids consistent with birth date, birthplace and gender,
        unique among themselves (:class:`IdentityRegistry` keeps them unique across chunks)."""
        d = birth.astype("datetime64[D]")
        year = d.astype("datetime64[Y]").astype(np.int64) + 1970
        month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
        day = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
        stem = (birthplace * 100_000_000 + year * 10_000 + month * 100 + day) * 1000
        body = stem + rng.integers(0, 500, len(stem)) * 2 + np.where(female, 0, 1)
        return _id_text(_make_unique(rng, body, _NONE, *ID_SEQUENCE))

    def phones(self, rng: np.random.Generator, n: int) -> pa.Array:
        """11-digit mobile numbers on real Chinese carrier prefixes, unique among themselves."""
        prefix = self._prefixes[rng.integers(0, len(self._prefixes), n)]
        numbers = prefix * 100_000_000 + rng.integers(0, 100_000_000, n)
        return col.digits(_make_unique(rng, numbers, _NONE, *PHONE_SUBSCRIBER))

    def emails(self, rng: np.random.Generator, surname: IntArray, birth_year: IntArray,
               age: FloatArray) -> pa.Array:
        """E-mail addresses: QQ mail or ``<surname pinyin><digits>@<domain>``; older
        customers more often have none."""
        n = len(surname)
        qq = col.concat(col.digits(rng.integers(10_000, 3_000_000_000, n)), "@qq.com")
        suffix = np.where(chance(rng, 0.5, n), birth_year,
                          rng.integers(100, 10_000, n))
        domain = col.labels(col.text(MAIL_DOMAINS), weighted(rng, MAIL_DOMAIN_WEIGHTS, n))
        named = col.concat(pc.take(self._surname_pinyin, surname), col.digits(suffix), "@",
                           domain)
        use_qq = ~self._has_pinyin[surname] | chance(rng, 0.45, n)
        missing = chance(rng, 0.15 + 0.6 * np.clip((age - 40.0) / 40.0, 0.0, 1.0))
        out = pc.if_else(pa.array(use_qq), qq, named)
        return col.blank(out, missing)


class IdentityRegistry:
    """National ids and phone numbers given out so far, to keep them unique across chunks.

    Chunks are generated independently (possibly in parallel), each unique within
    itself; the registry admits them in order and redraws the rare clash with an earlier
    chunk: a new sequence number of the same parity for an id, new subscriber digits
    behind the same prefix for a phone.
    """

    def __init__(self) -> None:
        self._ids = _NONE
        self._phones = _NONE

    def admit(self, rng: np.random.Generator, customers: pa.Table) -> pa.Table:
        """``customers`` with clashing ids and phones redrawn; remembers them all."""
        ids = customers.column("national_id")
        body = pc.utf8_slice_codeunits(ids, 0, 17).cast(pa.int64()).to_numpy()
        phones = customers.column("phone").cast(pa.int64()).to_numpy()
        body_unique = _make_unique(rng, body.copy(), self._ids, *ID_SEQUENCE)
        phones_unique = _make_unique(rng, phones.copy(), self._phones, *PHONE_SUBSCRIBER)
        if (body_unique != body).any():
            position = customers.schema.get_field_index("national_id")
            customers = customers.set_column(position, customers.field(position),
                                             _id_text(body_unique))
        if (phones_unique != phones).any():
            position = customers.schema.get_field_index("phone")
            customers = customers.set_column(position, customers.field(position),
                                             col.digits(phones_unique))
        self._ids = np.union1d(self._ids, body_unique)
        self._phones = np.union1d(self._phones, phones_unique)
        return customers


_NONE = np.empty(0, dtype=np.int64)
#: Redrawable low part of an id body (the 3-digit sequence, parity kept) and of a phone.
ID_SEQUENCE = (1000, 2)
PHONE_SUBSCRIBER = (100_000_000, 1)


def _id_text(body: IntArray) -> pa.Array:
    check = pc.take(col.text(list(CHECK_CHARS)), check_index(body))
    return col.concat(col.digits(body), check)


def _make_unique(rng: np.random.Generator, values: IntArray, used: IntArray, modulus: int,
                 step: int) -> IntArray:
    """Redraw the low part (``values % modulus``) of values that clash with ``used`` or
    with each other, keeping the high part and ``values % step``."""
    for _ in range(100):
        clash = _clashes(values, used)
        if not clash.any():
            break
        keep = values[clash] - values[clash] % modulus + values[clash] % step
        values[clash] = keep + rng.integers(0, modulus // step, int(clash.sum())) * step
    return values


def _clashes(values: IntArray, used: IntArray) -> BoolArray:
    """Values already given out, or repeated within ``values`` (all but the first)."""
    clash = np.isin(values, used)
    _, first = np.unique(values, return_index=True)
    repeated = np.ones(len(values), dtype=bool)
    repeated[first] = False
    out: BoolArray = clash | repeated
    return out


def _pick(rng: np.random.Generator, ranges: tuple[tuple[int, int], tuple[int, int]],
          female: BoolArray) -> IntArray:
    """An index into the male range or, for women, the female range of a vocabulary."""
    (m0, m1), (f0, f1) = ranges
    out: IntArray = np.where(female, rng.integers(f0, f1, len(female)),
                             rng.integers(m0, m1, len(female)))
    return out
