"""Document number formats: pure checks that return None (fine) or an error code.

A flow field names its format (`format: resident_id`); validation looks the check up in
CHECKS and turns the code into a message from the catalog. Every check takes
`(value, today=None)` so that all of them can be called the same way.

Data that changes (mobile prefixes, province codes) is read from reference/ files,
never hard-coded: `load_format_data(reference_dir)`; the checks use the project's
reference/ folder unless given a FormatData.

Address-code choice: the first two digits of a resident ID number must be the code of a
province-level unit in reference/provinces.json, except 71/81/82 (Taiwan, Hong Kong,
Macao have no 公民身份号码; their residents' 居住证 numbers use 81/82/83 and are checked by
check_residence_permit). All province prefixes used since 1981 are still in that list
(Hainan 46 and Chongqing 50 were added, none removed), so old numbers stay valid. The
county part is not checked: numbers keep abolished codes (guangdong_divisions_historical.json).
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)   # GB 11643 / ISO 7064 MOD 11-2
CHECK_CHARS = "10X98765432"                                         # index = sum mod 11
NOT_RESIDENT_ID_PROVINCES = frozenset({"71", "81", "82"})
RESIDENCE_PERMIT_AREAS = frozenset({"810000", "820000", "830000"})
SHANGHAI = timezone(timedelta(hours=8))   # Asia/Shanghai, no DST since 1991

_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_HK_MACAO = re.compile(r"^[HM]\d{8}$")
_TAIWAN = re.compile(r"^\d{8}$")
_SMS = re.compile(r"^\d{6}$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")   # loose: shapes differ by country
_FOREIGN_PR_OLD = re.compile(r"^[A-Z]{3}\d{12}$")
_MOBILE_SHAPE = re.compile(r"^\d{11}$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")   # dot-atom
_EMAIL_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# Common two-character surnames, so that 欧阳娜娜 masks as 欧阳** and not 欧***.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 西门 南宫 独孤 "
    "百里 呼延 赫连 澹台 公冶 太史 申屠 闻人 万俟 钟离 淳于 单于 濮阳 东郭 拓跋 司空 第五 左丘".split())


@dataclass(frozen=True)
class FormatData:
    mobile_pattern: re.Pattern
    province_codes: frozenset[str]      # 2-digit prefixes allowed in resident ID numbers


def default_reference_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "reference"


@lru_cache(maxsize=4)
def load_format_data(reference_dir: Path | None = None) -> FormatData:
    """Read the mobile regex and the province codes (cached per folder)."""
    ref = Path(reference_dir) if reference_dir else default_reference_dir()
    mobile = json.loads((ref / "mobile_number_prefixes.json").read_text(encoding="utf-8"))
    provinces = json.loads((ref / "provinces.json").read_text(encoding="utf-8"))
    codes = frozenset(p["code"][:2] for p in provinces["provinces"]) - NOT_RESIDENT_ID_PROVINCES
    return FormatData(re.compile(mobile["simple_regex_equivalent"]), codes)


def today_in_china() -> date:
    return datetime.now(SHANGHAI).date()


# ---- normalisers: what the form stores -------------------------------------------------

def normalize_id(s) -> str:
    """Trim, drop inner spaces, upper-case (a lowercase x check digit becomes X)."""
    return re.sub(r"\s+", "", str(s or "")).upper()


def normalize_mobile(s) -> str:
    """Drop spaces and hyphens and a leading +86 / 0086."""
    out = re.sub(r"[\s\-]", "", str(s or ""))
    for prefix in ("+86", "0086"):
        if out.startswith(prefix) and len(out) == len(prefix) + 11:
            out = out[len(prefix):]
    return out


# ---- dates as citizens type them -----------------------------------------------------------

_TYPED_DATE = re.compile(r"^(\d{4})\s*(?:[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))$")


def typed_date(s) -> str | None:
    """A date typed as 2024-05-12, 2024-5-12, 2024年5月12日, 2024/5/12, 2024.5.12 or 20240512
    (full-width digits too) in ISO form, or None when it is no date of the calendar."""
    text = unicodedata.normalize("NFKC", str(s or "")).strip()
    m = _TYPED_DATE.match(text)
    if not m:
        return None
    month, day = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
    try:
        return date(int(m.group(1)), int(month), int(day)).isoformat()
    except ValueError:
        return None


def show_date(value) -> str:
    """A date as the citizen reads it: 2024年05月12日 (a value that is no date: as it is)."""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.year:04d}年{day.month:02d}月{day.day:02d}日"


# ---- GB 11643 -------------------------------------------------------------------------

def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _gb11643(s: str, today: date | None) -> str | None:
    """Shape, real birth date not in the future, check digit (area checked by the callers)."""
    if not _ID_SHAPE.match(s):
        return "format.shape"
    birth = birth_date_from_id(s)
    if birth is None:
        return "format.date"
    if birth > (today or today_in_china()):
        return "format.future_date"
    if check_digit(s[:17]) != s[17]:
        return "format.check_digit"
    return None


def check_resident_id(s, today: date | None = None, data: FormatData | None = None) -> str | None:
    s = normalize_id(s)
    code = _gb11643(s, today)
    if code:
        return code
    if s[:2] not in (data or load_format_data()).province_codes:
        return "format.area"
    return None


def check_residence_permit(s, today: date | None = None) -> str | None:
    """港澳台居民居住证: a GB 11643 number with address code 810000/820000/830000."""
    s = normalize_id(s)
    if len(s) == 18 and s[:6] not in RESIDENCE_PERMIT_AREAS and _ID_SHAPE.match(s):
        return "format.area"
    return _gb11643(s, today)


def check_foreign_pr_id(s, today: date | None = None) -> str | None:
    """外国人永久居留身份证: 2023 version (9 + 16 digits + MOD 11-2) or 2017 version (3 letters + 12 digits)."""
    s = normalize_id(s)
    if _FOREIGN_PR_OLD.match(s):
        return None
    if not (_ID_SHAPE.match(s) and s[0] == "9"):
        return "format.shape"
    return None if check_digit(s[:17]) == s[17] else "format.check_digit"


def birth_date_from_id(s) -> date | None:
    s = normalize_id(s)
    try:
        return date(int(s[6:10]), int(s[10:12]), int(s[12:14])) if len(s) == 18 else None
    except ValueError:
        return None


def sex_from_id(s) -> str | None:
    """'male' / 'female' from the sequence code's last digit (odd = male)."""
    s = normalize_id(s)
    return ("male" if int(s[16]) % 2 else "female") if len(s) == 18 and s[16].isdigit() else None


def make_resident_id(area: str, birth: date, seq: int) -> str:
    """A syntactically valid number (for synthetic demo IDs): area + YYYYMMDD + seq + check."""
    if not (re.fullmatch(r"\d{6}", str(area)) and 0 <= int(seq) <= 999):
        raise ValueError("area must be 6 digits and seq 0..999")
    first17 = f"{area}{birth:%Y%m%d}{int(seq):03d}"
    return first17 + check_digit(first17)


# ---- other documents --------------------------------------------------------------------

def _regex_check(pattern: re.Pattern, normalise=normalize_id):
    def check(s, today: date | None = None) -> str | None:
        return None if pattern.match(normalise(s)) else "format.shape"
    return check


check_hk_macao_permit = _regex_check(_HK_MACAO)
check_hk_macao_permit.__doc__ = "港澳居民来往内地通行证, current card version: H/M + 8 digits."
check_taiwan_permit = _regex_check(_TAIWAN)
check_taiwan_permit.__doc__ = "台湾居民来往大陆通行证: the 8-digit lifetime number."
check_sms_code = _regex_check(_SMS, lambda s: str(s or "").strip())
check_sms_code.__doc__ = "SMS verification code: 6 digits."
check_passport = _regex_check(_PASSPORT)
check_passport.__doc__ = "Passport number: 5-17 letters/digits (shapes differ by country)."


def check_mobile(s, today: date | None = None, data: FormatData | None = None) -> str | None:
    """Mainland mobile: 11 digits, then the prefix list of reference/mobile_number_prefixes.json."""
    s = normalize_mobile(s)
    if not _MOBILE_SHAPE.match(s):
        return "format.shape"
    return None if (data or load_format_data()).mobile_pattern.match(s) else "format.prefix"


def normalize_email(s) -> str:
    """Trim the address (spaces inside are an error, not something to drop)."""
    return str(s or "").strip()


def check_email(s, today: date | None = None) -> str | None:
    """E-mail address: local@domain with a dot-atom local part (at most 64 characters) and a domain
    of at least two labels of letters, digits and inner hyphens (at most 254 characters in all),
    the form HTML's `<input type=email>` accepts; whether the mailbox exists is not checked."""
    s = normalize_email(s)
    local, at, domain = s.rpartition("@")
    if not at or not local or len(s) > 254 or len(local) > 64 or not _EMAIL_LOCAL.match(local):
        return "format.email"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return "format.email"
    return None


CHECKS = {
    "resident_id": check_resident_id,
    "residence_permit": check_residence_permit,
    "hk_macao_permit": check_hk_macao_permit,
    "taiwan_permit": check_taiwan_permit,
    "foreign_pr_id": check_foreign_pr_id,
    "passport": check_passport,
    "mobile": check_mobile,
    "sms_code": check_sms_code,
    "email": check_email,
}

NORMALIZERS = {name: normalize_id for name in CHECKS} | {
    "mobile": normalize_mobile, "sms_code": lambda s: str(s or "").strip(), "email": normalize_email}

# format of the number for each ID type code (docs/internals.md; also reference/id_types.json)
ID_TYPE_FORMATS = {
    "resident_id_card": "resident_id", "household_register": "resident_id",
    "hk_macao_permit": "hk_macao_permit", "taiwan_permit": "taiwan_permit",
    "hmt_residence_permit": "residence_permit", "passport": "passport", "foreign_pr_id": "foreign_pr_id",
}


def check(format_name: str, value, today: date | None = None) -> str | None:
    """Run the named check; an unknown name is reported as 'format.unknown'."""
    fn = CHECKS.get(format_name)
    return fn(value, today) if fn else "format.unknown"


# ---- masks (display only: never put the full number where it is only shown) ---------------

def mask_id(s) -> str:
    """First 4 and last 4 kept: 4401**********1231; short numbers keep first and last char."""
    s = str(s or "")
    if len(s) > 8:
        return s[:4] + "*" * (len(s) - 8) + s[-4:]
    return s[:1] + "*" * (len(s) - 2) + s[-1:] if len(s) > 2 else "*" * len(s)


def mask_phone(s) -> str:
    """138****1234 (first 3, last 4)."""
    s = str(s or "")
    if len(s) > 7:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    return "*" * len(s)


def mask_name(s) -> str:
    """Surname kept: 张* / 张** / 欧阳**; a Latin name keeps its first letter and spaces."""
    s = str(s or "").strip()
    keep = 2 if len(s) >= 3 and s[:2] in COMPOUND_SURNAMES else 1
    return s[:keep] + "".join(" " if c == " " else "*" for c in s[keep:])
