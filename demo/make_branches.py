"""Generate demo/branches.json: demo 受理网点 for the branch-directory simulator.

Run once (`python demo/make_branches.py`) and commit the output; the simulator only reads
the JSON. Every Guangdong city gets a city service centre, one outlet per county-level
division and two bank outlets, built from reference/guangdong_divisions.json and
reference/service_banks.json. Addresses are FICTIONAL; phone numbers are the HRSS
hotline 12333 with the city's area code.
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo" / "branches.json"
AREA_CODES = {  # telephone area codes of the 21 cities
    "440100": "020", "440200": "0751", "440300": "0755", "440400": "0756", "440500": "0754",
    "440600": "0757", "440700": "0750", "440800": "0759", "440900": "0668", "441200": "0758",
    "441300": "0752", "441400": "0753", "441500": "0660", "441600": "0762", "441700": "0662",
    "441800": "0763", "441900": "0769", "442000": "0760", "445100": "0768", "445200": "0663",
    "445300": "0766",
}
ROADS = ["人民路", "中山路", "解放路", "建设路", "府前路", "东风路", "环城路", "迎宾路", "文明路", "新华路"]
HOURS = "周一至周五 9:00-12:00，14:00-17:30（法定节假日除外）"


def short(name: str) -> str:
    """天河区 -> 天河, 连南瑶族自治县 -> 连南, 广州市 -> 广州 (for bank outlet names)."""
    return name[:2] if name.endswith("自治县") else name[:-1]


def address(city: str, county: str, n: int) -> str:
    return f"{city}{county}{ROADS[n % len(ROADS)]}{(n * 37) % 280 + 1}号"


def branches(divisions: dict, banks: list[dict]) -> list[dict]:
    out: list[dict] = []
    for ci, city in enumerate(divisions["cities"]):
        code, name = city["code"], city["name"]
        phone = f"{AREA_CODES[code]}-12333"
        counties = city.get("counties") or []

        def add(bid, bname, county_code, county_name, n, *, code=code, name=name, phone=phone):
            out.append({"id": bid, "name": bname, "city_code": code, "county_code": county_code,
                        "address": address(name, county_name, n), "phone": phone, "hours": HOURS})

        add(f"GD-{code}-00", f"{name}社保卡服务中心", None, "", ci)
        for j, county in enumerate(counties):
            add(f"GD-{county['code']}-01", f"{name}{county['name']}社保卡服务网点",
                county["code"], county["name"], ci + j + 1)
        for k in range(2):
            bank = banks[(ci * 3 + k * 5) % len(banks)]
            if k == 1 and counties:
                county = counties[(ci + 1) % len(counties)]
                add(f"GD-{code}-B{k + 1}", f"{bank['full_name']}{short(name)}{short(county['name'])}支行",
                    county["code"], county["name"], ci + 7)
            else:
                add(f"GD-{code}-B{k + 1}", f"{bank['full_name']}{short(name)}分行营业部", None, "", ci + 3 + k)
    return out


def main() -> None:
    divisions = json.loads((ROOT / "reference" / "guangdong_divisions.json").read_text(encoding="utf-8"))
    banks = json.loads((ROOT / "reference" / "service_banks.json").read_text(encoding="utf-8"))["banks"]
    data = {
        "_meta": {
            "title": "Demo 受理网点 (branch directory simulator data)",
            "generated_by": "demo/make_branches.py from reference/guangdong_divisions.json and "
                            "reference/service_banks.json",
            "status": "DEMO: names follow the real naming pattern, addresses are fictional, "
                      "phone = area code + 12333 hotline",
        },
        "branches": branches(divisions, banks),
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(data['branches'])} branches to {OUT}")


if __name__ == "__main__":
    main()
