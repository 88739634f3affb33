"""Build the carbon-intensity tables of src/greenspike/energy/data/ from the shared reference data.

- carbon_intensity.csv: for every country (and the World and the EU-27 aggregates), the latest
  year of Our World in Data's "carbon intensity of electricity" series, with the ISO 3166-1
  alpha-2 code and other names people use (the ISO name, official and common names, read from
  Debian's iso-codes tables in /usr/share/iso-codes, and a few short names in ALIASES).
- regions.csv: the sub-national grids of Green Algorithms' CI_aggregated.csv (US states,
  Canadian provinces and territories, Australian states and grids), under their ISO 3166-2
  code and name where ISO has one (Green Algorithms' own code or spelling kept as an alias);
  a sub-grid of a state (AU-WA1, AU-NT2) keeps Green Algorithms' code and name.
- cloud_regions.csv: cloud regions and where they are: Google Cloud and Azure from Green
  Algorithms' cloudProviders_datacenters.csv, AWS from the region names AWS publishes
  (AWS_REGIONS below), each with the location whose intensity applies.

Run from the repository root:

    python scripts/bundle_carbon_intensity.py ../shared/data
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

DATA = Path("src/greenspike/energy/data")
ISO = Path("/usr/share/iso-codes/json")
# Aggregates without an ISO code, kept under a code of our own.
AGGREGATES = {"World": "WORLD", "European Union (27)": "EU27"}
# Names in common use that neither OWID nor ISO gives.
ALIASES = {
    "GBR": ["UK", "Great Britain", "Britain"],
    "NLD": ["Holland"],
    "ARE": ["UAE"],
    "CIV": ["Ivory Coast"],
    "MMR": ["Burma"],
    "COD": ["DR Congo", "DRC"],
    "CPV": ["Cape Verde"],
    "TLS": ["East Timor"],
    "SWZ": ["Swaziland"],
    "USA": ["United States of America", "America"],
    "EU27": ["EU", "European Union"],
}
GREEN_ALGORITHMS = (
    "Green Algorithms (Lannelongue et al. 2021), CI_aggregated.csv, 2025-02, CC BY 4.0"
)
AWS_SOURCE = (
    "AWS region names, https://docs.aws.amazon.com/global-infrastructure/latest/regions/"
    "aws-regions.html (2025)"
)
# AWS region code -> the location its published name gives: an ISO 3166-2 region where Green
# Algorithms has that grid, else the country (ISO 3166-1 alpha-2).
AWS_REGIONS = {
    "us-east-1": ("US-VA", "US East (N. Virginia)"),
    "us-east-2": ("US-OH", "US East (Ohio)"),
    "us-west-1": ("US-CA", "US West (N. California)"),
    "us-west-2": ("US-OR", "US West (Oregon)"),
    "af-south-1": ("ZA", "Africa (Cape Town)"),
    "ap-east-1": ("HK", "Asia Pacific (Hong Kong)"),
    "ap-south-1": ("IN", "Asia Pacific (Mumbai)"),
    "ap-south-2": ("IN", "Asia Pacific (Hyderabad)"),
    "ap-southeast-1": ("SG", "Asia Pacific (Singapore)"),
    "ap-southeast-2": ("AU-NSW", "Asia Pacific (Sydney)"),
    "ap-southeast-3": ("ID", "Asia Pacific (Jakarta)"),
    "ap-southeast-4": ("AU-VIC", "Asia Pacific (Melbourne)"),
    "ap-northeast-1": ("JP", "Asia Pacific (Tokyo)"),
    "ap-northeast-2": ("KR", "Asia Pacific (Seoul)"),
    "ap-northeast-3": ("JP", "Asia Pacific (Osaka)"),
    "ca-central-1": ("CA-QC", "Canada (Central), Montreal"),
    "eu-central-1": ("DE", "Europe (Frankfurt)"),
    "eu-central-2": ("CH", "Europe (Zurich)"),
    "eu-west-1": ("IE", "Europe (Ireland)"),
    "eu-west-2": ("GB", "Europe (London)"),
    "eu-west-3": ("FR", "Europe (Paris)"),
    "eu-south-1": ("IT", "Europe (Milan)"),
    "eu-south-2": ("ES", "Europe (Spain)"),
    "eu-north-1": ("SE", "Europe (Stockholm)"),
    "me-south-1": ("BH", "Middle East (Bahrain)"),
    "me-central-1": ("AE", "Middle East (UAE)"),
    "sa-east-1": ("BR", "South America (Sao Paulo)"),
    "cn-north-1": ("CN", "China (Beijing)"),
    "cn-northwest-1": ("CN", "China (Ningxia)"),
}
# Green Algorithms locations that are countries under another code.
GA_COUNTRY_CODES = {"CN-HK": "HK", "CN-HK2": "HK", "TW": "TW"}


def main(shared: str) -> None:
    root = Path(shared)
    alpha2 = write_countries(root / "owid-carbon-intensity/carbon-intensity-electricity.csv")
    regions = write_regions(root / "green-algorithms/CI_aggregated.csv", alpha2)
    write_cloud(root / "green-algorithms/cloudProviders_datacenters.csv", regions, alpha2)


def write_countries(owid: Path) -> dict[str, str]:
    """carbon_intensity.csv; returns alpha-2 -> alpha-3 of the countries written."""
    iso = {c["alpha_3"]: c for c in json.loads((ISO / "iso_3166-1.json").read_text())["3166-1"]}
    latest: dict[str, dict[str, str]] = {}
    with open(owid, newline="") as f:
        for row in csv.DictReader(f):
            code = AGGREGATES.get(row["Entity"], row["Code"])
            if not code or (code.startswith("OWID_") and code != "OWID_KOS"):
                continue
            if code not in latest or int(row["Year"]) > int(latest[code]["Year"]):
                latest[code] = row
    with open(DATA / "carbon_intensity.csv", "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["code", "alpha2", "entity", "year", "intensity_g_per_kwh", "aliases"])
        for code, row in sorted(latest.items()):
            country = iso.get(code, {})
            names = [country.get(k, "") for k in ("name", "official_name", "common_name")]
            names = [re.sub(r"^the ", "", n) for n in names if n] + ALIASES.get(code, [])
            aliases = [n for n in dict.fromkeys(names) if n.casefold() != row["Entity"].casefold()]
            value = round(float(row["Carbon intensity of electricity - gCO2/kWh"]), 2)
            out.writerow(
                [
                    code,
                    country.get("alpha_2", ""),
                    row["Entity"],
                    row["Year"],
                    value,
                    ";".join(aliases),
                ]
            )
    print(f"wrote {len(latest)} countries")
    return {iso[c]["alpha_2"]: c for c in latest if c in iso}


def write_regions(ga: Path, alpha2: dict[str, str]) -> set[str]:
    """regions.csv; returns the codes (and Green Algorithms codes) written."""
    subdivisions = json.loads((ISO / "iso_3166-2.json").read_text())["3166-2"]
    by_name = {(s["code"][:2], _key(s["name"])): s for s in subdivisions}
    by_code = {s["code"]: s for s in subdivisions}
    rows = list(csv.reader(ga.open(newline="")))[2:]  # two header lines
    written: set[str] = set()
    with open(DATA / "regions.csv", "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(
            ["code", "country", "name", "aliases", "year", "intensity_g_per_kwh", "source"]
        )
        for code, _, _, name, intensity, kind, source, _comment in rows:
            if kind != "Region" or code in GA_COUNTRY_CODES:
                continue
            country = code[:2]
            # Green Algorithms' code where ISO has it; else the ISO region of the same name
            # (CA-MT is ISO's CA-MB, Manitoba); a sub-grid (AU-WA1) keeps its own code and name.
            iso = by_code.get(code) or by_name.get((country, _key(name)))
            aliases = []
            if iso is not None and iso["code"] != code:
                aliases.append(code)
            if iso is not None and _key(iso["name"]) != _key(name):
                aliases.append(name)
            year = re.search(r"data from (\d{4})", source)
            assert year, f"no year in the source of {code}: {source}"
            out.writerow(
                [
                    iso["code"] if iso else code,
                    alpha2[country],
                    iso["name"] if iso else name,
                    ";".join(aliases),
                    year[1],
                    float(intensity),
                    f"{GREEN_ALGORITHMS}: {source}",
                ]
            )
            written |= {code, iso["code"] if iso else code}
    print(f"wrote {len(written)} region codes")
    return written


def write_cloud(ga: Path, regions: set[str], alpha2: dict[str, str]) -> None:
    iso_codes = {c: c for c in regions}
    rows = list(csv.reader(ga.open(newline="")))[2:]
    count = 0
    with open(DATA / "cloud_regions.csv", "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["provider", "region", "aliases", "location", "where", "source"])
        for provider, region, location, detail, free_form, source, *_ in rows:
            location = GA_COUNTRY_CODES.get(location, location)
            if not location or (location not in iso_codes and location not in alpha2):
                print(f"skipped {provider} {region}: no intensity for {location!r}")
                continue
            aliases = []
            if (
                provider == "azure"
            ):  # under the name its command line uses: "West Europe" -> westeurope
                display = re.sub(r"\s*\(.*\)", "", region)
                aliases = list(dict.fromkeys([region, display]))
                region = display.replace(" ", "").lower()
            where = (detail or free_form).strip()
            source = (
                f"Green Algorithms, cloudProviders_datacenters.csv, 2025-02, CC BY 4.0: {source}"
            )
            out.writerow([provider, region, ";".join(aliases), location, where, source])
            count += 1
        for region, (location, name) in AWS_REGIONS.items():
            assert location in iso_codes or location in alpha2, location
            out.writerow(["aws", region, "", location, name, AWS_SOURCE])
            count += 1
    print(f"wrote {count} cloud regions")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.casefold()).strip()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
