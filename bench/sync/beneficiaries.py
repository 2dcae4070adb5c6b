#!/usr/bin/env python3
"""Writes a synthetic beneficiary-list CSV, as a cluster partner would export it after a
distribution round, for benchmarks that need realistic compressibility (issue 5).

    beneficiaries.py OUT [--bytes N] [--seed S]

Deterministic: the same seed and size give the same file, byte for byte (Python's `random`
with a fixed seed; nothing depends on the clock or the machine). Rows are added until the file
holds at least N bytes (default 100 000 000), ending on a whole row.

Everything is invented: names are drawn from common Myanmar name syllables with honorifics
(U, Daw, Ko, Ma, Saw, Naw; roughly one name in seven in Burmese script), phone and NRC numbers
are random digits in the usual shapes, P-codes and villages are made up and only shaped like
MIMU's.

One row per household, grouped by state, township, village tract and village as a real export
is: that ordering, and the columns it repeats (P-codes, place names, the items of one
distribution), is part of why such files compress; phone, NRC, GPS and dates are random digits
and are what does not.
"""

import argparse
import csv
import datetime
import random
import sys

# Latin spelling -> Burmese script, for the syllables names are made of.
SYLLABLES = {
    "Aung": "အောင်", "Kyaw": "ကျော်", "Myint": "မြင့်", "Zaw": "ဇော်", "Hla": "လှ",
    "Win": "ဝင်း", "Tun": "ထွန်း", "Naing": "နိုင်", "Soe": "စိုး", "Khin": "ခင်",
    "Aye": "အေး", "Mya": "မြ", "Thida": "သီတာ", "Nyein": "ငြိမ်း", "Su": "စု",
    "Moe": "မိုး", "Htet": "ထက်", "Phyu": "ဖြူ", "San": "စန်း", "Thein": "သိန်း",
    "Min": "မင်း", "Thu": "သူ", "Ye": "ရဲ", "Lwin": "လွင်", "Oo": "ဦး",
    "Maung": "မောင်", "Nwe": "နွယ်", "Yin": "ယဉ်", "Mar": "မာ", "Thet": "သက်",
    "Paing": "ပိုင်", "Wai": "ဝေ", "Hnin": "နှင်း", "Ei": "အိ", "Chit": "ချစ်",
    "Htun": "ထွန်း", "Kyi": "ကြည်", "Pyae": "ပြည့်", "Sone": "စုံ", "Tin": "တင်",
    "Ohn": "အုန်း", "Lay": "လေး", "Khaing": "ခိုင်", "Myo": "မျိုး", "Nanda": "နန္ဒာ",
    "Paw": "ပေါ", "Htoo": "ထူး", "Blut": "ဘလပ်", "Eh": "အဲ", "Say": "စေ",
}
MALE_SYLLABLES = ["Aung", "Kyaw", "Myint", "Zaw", "Hla", "Win", "Tun", "Naing", "Soe", "Min",
                  "Thu", "Ye", "Lwin", "Maung", "Thet", "Paing", "Htun", "Kyi", "Tin", "Ohn",
                  "Myo", "Htet", "Thein", "Chit", "Lay"]
FEMALE_SYLLABLES = ["Khin", "Aye", "Mya", "Thida", "Nyein", "Su", "Moe", "Phyu", "San", "Nwe",
                    "Yin", "Mar", "Wai", "Hnin", "Ei", "Pyae", "Sone", "Khaing", "Nanda", "Hla",
                    "Thin", "Lay", "Kyi", "Htet", "Ohn"]
SYLLABLES.setdefault("Thin", "သင်း")
KAREN_SYLLABLES = ["Paw", "Htoo", "Blut", "Eh", "Say", "Moo", "Wah", "Lah", "Ku", "Gay"]
SYLLABLES.update({"Moo": "မူ", "Wah": "ဝါး", "Lah": "လာ", "Ku": "ကု", "Gay": "ဂေ"})
HONORIFICS = {"U": "ဦး", "Daw": "ဒေါ်", "Ko": "ကို", "Ma": "မ", "Saw": "စော", "Naw": "နော်"}

# States and regions with their NRC state numbers (names only for the CSV; codes invented).
STATES = [("Kachin", 1), ("Kayah", 2), ("Kayin", 3), ("Chin", 4), ("Sagaing", 5),
          ("Tanintharyi", 6), ("Bago", 7), ("Magway", 8), ("Mandalay", 9), ("Mon", 10),
          ("Rakhine", 11), ("Yangon", 12), ("Shan", 13), ("Ayeyarwady", 14)]
NRC_SYLLABLES = ["Ka", "Kha", "Ga", "Sa", "Za", "Ta", "Da", "Na", "Pa", "Ba", "Ma", "Ya",
                 "La", "Wa", "Tha", "Ha", "Hpa", "Hta", "Ah", "Pha", "Da", "Nya"]
PLACE_WORDS = ["Kyauk", "Ywa", "Thit", "Nyaung", "Pin", "Gon", "Kone", "Tan", "Chaung",
               "Zin", "Let", "Pyin", "Taung", "Oo", "Sin", "Ma", "Hpa", "Kan", "Inn", "Seik",
               "Thar", "Yar", "Myay", "Ni", "Hta", "Win", "Kalay", "Lay", "Shwe", "Ye", "Bu",
               "Daunt", "Hlaing", "Ka", "Wa", "Kyun", "Hmaw", "Bi", "Doke", "Lone"]
DISPLACEMENT = ["IDP", "IDP", "IDP", "host community", "returnee", "IDP in camp"]
SHELTER = ["own house", "with host family", "camp longhouse", "makeshift shelter",
           "rented", "monastery"]
ITEMS = ["rice 25kg", "rice 50kg", "yellow split peas 5kg", "cooking oil 1L", "cooking oil 2L",
         "salt 1kg", "hygiene kit", "dignity kit", "tarpaulin 4x6m", "blanket", "mosquito net",
         "kitchen set", "solar lamp", "water bucket 20L", "cash 50000 MMK", "cash 100000 MMK",
         "soap x4", "sanitary pads", "jerrycan 10L", "sleeping mat"]
REMARKS = ["", "", "", "", "", "", "", "", "", "", "", "", "", "",
           "head of household absent, collected by spouse", "phone number shared with neighbour",
           "moved from another camp last month", "collected by proxy (written consent)",
           "needs follow-up visit", "NRC card lost, verified by village head",
           "elderly, items delivered to house", "duplicate check done"]


def name(rng, sex, karen, burmese):
    """A head of household's name: honorific and two or three syllables."""
    if karen:
        honorific = "Saw" if sex == "M" else "Naw"
        pool = KAREN_SYLLABLES
    else:
        young = rng.random() < 0.3
        honorific = ("Ko" if young else "U") if sex == "M" else ("Ma" if young else "Daw")
        pool = MALE_SYLLABLES if sex == "M" else FEMALE_SYLLABLES
    parts = [rng.choice(pool) for _ in range(rng.choice((2, 2, 2, 3)))]
    if burmese:
        return HONORIFICS[honorific] + " " + "".join(SYLLABLES[p] for p in parts)
    return honorific + " " + " ".join(parts)


def phone(rng):
    r = rng.random()
    if r < 0.15:
        return ""
    prefix = rng.choice(["25", "26", "40", "42", "43", "44", "45", "69", "75", "76", "77",
                         "78", "79", "94", "95", "96", "97", "98", "99"])
    rest = "".join(rng.choice("0123456789") for _ in range(7))
    if r < 0.55:
        return f"09-{prefix}{rest}"
    if r < 0.8:
        return f"+959{prefix}{rest}"
    return f"09 {prefix}{rest[:1]} {rest[1:4]} {rest[4:]}"


def nrc(rng, state_number, township_nrc):
    if rng.random() < 0.12:
        return ""
    kind = rng.choices(["N", "E", "P"], weights=(90, 6, 4))[0]
    return f"{state_number}/{township_nrc}({kind}){rng.randrange(100000, 1000000)}"


def geography(rng):
    """Yields (state, state number, state P-code, township, township NRC code, township P-code,
    village tract P-code, village, village P-code, latitude, longitude), one per village."""
    village_code = 150000
    for state_index, (state, number) in enumerate(rng.sample(STATES, len(STATES))):
        state_pcode = f"MMR{number:03d}"
        for township_index in range(1, rng.randrange(5, 12)):
            township = " ".join(rng.sample(PLACE_WORDS, 2))
            township_nrc = "".join(rng.sample(NRC_SYLLABLES, 3))
            township_pcode = f"{state_pcode}{township_index:03d}"
            lat0 = rng.uniform(10.0, 27.5)
            lon0 = rng.uniform(92.5, 100.5)
            for tract_index in range(1, rng.randrange(4, 15)):
                tract_pcode = f"{township_pcode}{tract_index:03d}"
                for _ in range(rng.randrange(2, 8)):
                    village_code += 1
                    village = " ".join(rng.sample(PLACE_WORDS, rng.choice((1, 2, 2, 3))))
                    yield (state, number, state_pcode, township, township_nrc, township_pcode,
                           tract_pcode, village, str(village_code),
                           lat0 + rng.uniform(-0.4, 0.4), lon0 + rng.uniform(-0.4, 0.4))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--bytes", type=int, default=100_000_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    header = ["household_id", "registration_date", "head_of_household", "sex", "age",
              "phone", "nrc_number", "state_region", "state_pcode", "township",
              "township_pcode", "village_tract_pcode", "village", "village_pcode",
              "household_size", "members_under_5", "members_over_60", "female_headed",
              "person_with_disability", "pregnant_or_lactating", "chronic_illness",
              "unaccompanied_minors", "displacement_status", "shelter_type", "latitude",
              "longitude", "last_distribution_date", "distributions_received", "items_received",
              "enumerator", "consent", "remarks"]
    written = 0
    rows = 0
    start = datetime.date(2026, 1, 6)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(header)
        while written < args.bytes:
            for (state, number, state_pcode, township, township_nrc, township_pcode,
                 tract_pcode, village, village_pcode, lat, lon) in geography(rng):
                karen_share = 0.5 if state in ("Kayin", "Kayah") else 0.03
                burmese_share = rng.choice((0.0, 0.05, 0.15, 0.4))  # per enumerator team
                enumerators = [f"{township_pcode[-6:]}-E{rng.randrange(1, 60):02d}"
                               for _ in range(rng.randrange(1, 4))]
                day = start + datetime.timedelta(days=rng.randrange(0, 300))
                rounds = rng.randrange(1, 4)
                standard_items = rng.sample(ITEMS, rng.randrange(3, 7))
                for household in range(1, rng.randrange(20, 180)):
                    sex = "F" if rng.random() < 0.42 else "M"
                    size = min(12, max(1, round(rng.gauss(5, 2))))
                    age = min(90, max(16, round(rng.gauss(42, 14))))
                    under5 = min(size - 1, rng.choice((0, 0, 0, 1, 1, 2, 3)))
                    over60 = 1 if age >= 60 else min(size - 1 - under5, rng.choice((0, 0, 0, 1)))
                    items = list(standard_items)
                    if rng.random() < 0.3:
                        items.append(rng.choice(ITEMS))
                    received = rng.randrange(1, rounds + 1)
                    when = day + datetime.timedelta(days=30 * (received - 1) + rng.randrange(0, 3))
                    registered = day - datetime.timedelta(days=rng.randrange(7, 120))
                    out.writerow([
                        f"HH-{village_pcode}-{household:03d}",
                        registered.isoformat(),
                        name(rng, sex, rng.random() < karen_share, rng.random() < burmese_share),
                        sex,
                        age,
                        phone(rng),
                        nrc(rng, number, township_nrc),
                        state,
                        state_pcode,
                        township,
                        township_pcode,
                        tract_pcode,
                        village,
                        village_pcode,
                        size,
                        under5,
                        max(0, over60),
                        "Y" if sex == "F" else "N",
                        "Y" if rng.random() < 0.08 else "N",
                        "Y" if sex == "F" and rng.random() < 0.15 else "N",
                        "Y" if rng.random() < 0.1 else "N",
                        "Y" if rng.random() < 0.01 else "N",
                        rng.choice(DISPLACEMENT),
                        rng.choice(SHELTER),
                        f"{lat + rng.uniform(-0.01, 0.01):.5f}",
                        f"{lon + rng.uniform(-0.01, 0.01):.5f}",
                        when.isoformat(),
                        received,
                        ";".join(items),
                        rng.choice(enumerators),
                        "Y",
                        rng.choice(REMARKS),
                    ])
                    rows += 1
                    written = f.tell()
                    if written >= args.bytes:
                        break
                if written >= args.bytes:
                    break
            # Short of the size still: another pass over new (invented) geography.
    print(f"{args.out}: {written} bytes, {rows} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
