"""Plain helpers for the signups tests: CBS's postcode–house number–buurt file."""

from __future__ import annotations

import io
import zipfile

CBS_HEADER = "PC6;Huisnummer;Buurt{year};Wijk{year};Gemeente{year}"
# Postcodes of other municipalities (Bergen 373, Heiloo 399, Amsterdam 363): a file for the
# province has many more of their lines than of our own.
OTHERS = (("1861AA", "3730100", "37301", "373"), ("1851AB", "03990201", "039902", "0399"),
          ("1011AB", "3630000", "36300", "363"))


def cbs_address_lines(others: int = 3000, year: int = 2023) -> list[str]:
    """CBS's file as published (``pc6hnr20230801_gwb.csv``), one line per address, for a
    few postcodes of GM0361 and ``others`` lines of other municipalities between them.
    Codes without prefix, with and without leading zeros.

    GM0361: 1801AA 40 addresses in BU03610101; 1801AB 10 in BU03610101 and 3 in
    BU03610401 (a postcode in two buurten); 1804AA 25 in BU03610401; 1804AB 12 in
    BU03610401. In all 90 addresses in 4 postcodes.
    """
    ours = ([("1801AA", "3610101", "36101", "361")] * 40
            + [("1801AB", "03610101", "036101", "0361")] * 10
            + [("1804AA", "3610401", "36104", "361")] * 25
            + [("1801AB", "3610401", "36104", "361")] * 3
            + [("1804AB", "03610401", "036104", "361")] * 12)
    lines = [CBS_HEADER.format(year=year)]
    step = max(1, others // len(ours))
    other = 0
    for number, (pc6, buurt, wijk, gemeente) in enumerate(ours, start=1):
        lines.append(f"{pc6};{number};{buurt};{wijk};{gemeente}")
        for _ in range(step if other + step <= others else others - other):
            pc6_, buurt_, wijk_, gemeente_ = OTHERS[other % len(OTHERS)]
            lines.append(f"{pc6_};{other % 200 + 1};{buurt_};{wijk_};{gemeente_}")
            other += 1
    while other < others:
        pc6_, buurt_, wijk_, gemeente_ = OTHERS[other % len(OTHERS)]
        lines.append(f"{pc6_};{other % 200 + 1};{buurt_};{wijk_};{gemeente_}")
        other += 1
    return lines


def cbs_address_file(others: int = 3000, year: int = 2023) -> bytes:
    return ("\r\n".join(cbs_address_lines(others, year)) + "\r\n").encode()


def cbs_zip(csv_data: bytes, year: int = 2023) -> bytes:
    """The ZIP file CBS publishes (``2023-cbs-pc6huisnr20230801_buurt.zip``): the address
    file and the lists of names of gemeenten, wijken and buurten."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"pc6hnr{year}0801_gwb.csv", csv_data)
        archive.writestr(f"gem_{year}.csv", "GM_CODE;GM_NAAM\nGM0361;Alkmaar\n")
        archive.writestr(f"brt_{year}.csv", "BU_CODE;BU_NAAM\nBU03610101;De Mare-Noord\n")
    return buffer.getvalue()
