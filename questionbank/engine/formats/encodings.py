"""Which text encoding a CSV upload is in: what Excel writes, in Chinese and other locales."""

from __future__ import annotations

from questionbank.engine.formats import FileError


def csv_encoding(data: bytes) -> str:
    """The encoding a CSV upload is read in: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text",
    with its BOM), else GBK (what Chinese Excel writes as "CSV (逗号分隔)"), else GB18030 (its superset);
    FileError if it is none of them."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        return "UTF-8 with BOM" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    for name in ("GBK", "GB18030"):
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        return name
    raise FileError(
        f"the file is neither UTF-8 nor GB18030 (byte {utf8_error.start}); "
        "save it as 'CSV UTF-8 (逗号分隔)(*.csv)' and import again"
    )


CODECS = {
    "UTF-16": "utf-16",
    "UTF-8": "utf-8",
    "UTF-8 with BOM": "utf-8-sig",
    "GBK": "gbk",
    "GB18030": "gb18030",
}


def decode_csv(data: bytes) -> str:
    """The text of a CSV upload in the encoding ``csv_encoding`` names."""
    encoding = csv_encoding(data)
    try:
        return data.decode(CODECS[encoding])
    except UnicodeDecodeError as exc:
        raise FileError(
            f"the file is not valid {encoding} (byte {exc.start}); "
            "save it as 'CSV UTF-8 (逗号分隔)(*.csv)' and import again"
        ) from None
