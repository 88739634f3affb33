"""Build src/greenspike/energy/data/carbon_intensity.csv from the shared reference data.

Keeps, for every country (and the World and the EU-27 aggregates), the latest year of
Our World in Data's "carbon intensity of electricity" series, and adds the country's ISO 3166-1
alpha-2 code (read from Debian's iso-codes tables, /usr/share/iso-codes) so users may type
either code. Run from the repository root:

    python scripts/bundle_carbon_intensity.py ../shared/data/owid-carbon-intensity
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

OUT = Path("src/greenspike/energy/data/carbon_intensity.csv")
ISO_TABLE = Path("/usr/share/iso-codes/json/iso_3166-1.json")
# Aggregates without an ISO code, kept under a code of our own.
AGGREGATES = {"World": "WORLD", "European Union (27)": "EU27"}


def main(owid_dir: str) -> None:
    alpha2 = {c["alpha_3"]: c["alpha_2"] for c in json.loads(ISO_TABLE.read_text())["3166-1"]}
    latest: dict[str, dict[str, str]] = {}
    with open(Path(owid_dir) / "carbon-intensity-electricity.csv", newline="") as f:
        for row in csv.DictReader(f):
            code = AGGREGATES.get(row["Entity"], row["Code"])
            if not code or (code.startswith("OWID_") and code != "OWID_KOS"):
                continue
            if code not in latest or int(row["Year"]) > int(latest[code]["Year"]):
                latest[code] = row
    with open(OUT, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["code", "alpha2", "entity", "year", "intensity_g_per_kwh"])
        for code, row in sorted(latest.items()):
            value = round(float(row["Carbon intensity of electricity - gCO2/kWh"]), 2)
            out.writerow([code, alpha2.get(code, ""), row["Entity"], row["Year"], value])
    print(f"wrote {len(latest)} rows to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/owid-carbon-intensity")
