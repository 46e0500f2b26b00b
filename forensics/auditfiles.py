"""Opening audit and sharing-list files: gzip, encodings, CSV dialects, XLSX; header search.

``open_text_lines`` decodes UTF-16 (with a BOM) as such and everything else as UTF-8, a
block at a time, falling back to cp1252 line by line where a block is not UTF-8 (files
stitched from exports made on different machines). ``csv_table``/``xlsx_table`` find the
header row (title rows above it are skipped) and hand out the data in batches with the
line (or sheet row) each row starts on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import numpy as np


class AuditFormatError(ValueError):
    """A file we cannot read as an audit log; the message names file, line and column."""

    def __init__(self, source: str, line: int, column: str, message: str):
        self.source, self.line, self.column = source, line, column
        where = f"{source}:{line}" if line else source  # line 0: the file as a whole
        super().__init__(f"{where}: column {column!r}: {message}" if column != "-" else f"{where}: {message}")


MAX_LINE_BYTES = 4 * 2**20  # assumption: no audit or sharing-list line comes near; a longer one is not a table


@dataclass
class ImportInfo:
    """What an import noticed: the layout, encoding, ignored columns, repaired lines."""

    source: str
    format: str = ""
    encoding: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    cp1252_lines: int = 0
    skipped_lines: int = 0  # title rows, blank rows, repeated headers


def open_text_lines(path: str | Path, info: ImportInfo | None = None) -> Iterator[str]:
    """Decoded lines of a (possibly gzipped) text file.

    UTF-16 with a BOM is decoded as such (Excel "Unicode text"); otherwise each line is
    UTF-8 (a BOM is dropped) and a line that is not valid UTF-8 is read as cp1252, so a file
    stitched from exports made on different machines still reads.
    """
    path = Path(path)
    source = str(path)
    try:
        with open(path, "rb") as probe:
            magic = probe.read(4)
        opener = gzip.open if magic[:2] == b"\x1f\x8b" else open
        if magic[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as probe:
                magic = probe.read(4)
    except FileNotFoundError:
        raise AuditFormatError(source, 0, "-", "no such file") from None
    except IsADirectoryError:
        raise AuditFormatError(source, 0, "-", "is a directory, not a file") from None
    except (OSError, EOFError) as exc:  # gzip raises BadGzipFile (an OSError) and EOFError
        raise AuditFormatError(source, 0, "-", f"cannot read: {exc}") from None
    if magic == b"PK\x03\x04":
        raise AuditFormatError(source, 0, "-", "a ZIP archive (an XLSX workbook?), not a text file; export it as CSV")
    if magic[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if info is not None:
            info.encoding = "utf-16"
        return _utf16_lines(opener, path)
    if info is not None:
        info.encoding = "utf-8-sig" if magic[:3] == codecs.BOM_UTF8 else "utf-8"
    # C-level chaining of per-block line iterators: no Python frame per line
    return chain.from_iterable(_decoded_blocks(opener, path, info))


def _utf16_lines(opener, path: Path) -> Iterator[str]:
    with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-16", newline="") as text:
        number = 0
        try:
            while line := text.readline(MAX_LINE_BYTES):
                number += 1
                if len(line) >= MAX_LINE_BYTES and not line.endswith("\n"):
                    raise _long_line(path, number)
                yield line
        except UnicodeDecodeError as exc:
            raise AuditFormatError(str(path), number + 1, "-", f"not UTF-16 text after all ({exc.reason})") from None


def _long_line(path: Path, number: int) -> AuditFormatError:
    return AuditFormatError(str(path), number, "-", f"a line longer than {MAX_LINE_BYTES // 2**20} MB: "
                            "not a CSV table (or a quote that never closes)")


def _decoded_blocks(opener, path: Path, info: ImportInfo | None) -> Iterator[Iterable[str]]:
    """1 MB blocks cut at a newline, decoded as UTF-8; a block that fails goes line by line."""
    with opener(path, "rb") as raw:
        first = True
        tail = b""
        lines_before = 0  # for errors: the line a block starts on, less one
        while True:
            try:
                block = raw.read(1 << 20)
            except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
                raise AuditFormatError(str(path), lines_before + 1, "-", f"cannot read: {exc}") from None
            if not block:
                break
            if b"\x00" in block:
                number = lines_before + (tail + block)[: block.index(b"\x00") + len(tail)].count(b"\n") + 1
                raise AuditFormatError(str(path), number, "-", "binary data (a NUL byte): not a text file "
                                       "(UTF-16 without a byte-order mark? save it as UTF-8)")
            block = tail + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                if len(block) > MAX_LINE_BYTES:
                    raise _long_line(path, lines_before + 1)
                tail = block
                continue
            block, tail = block[:cut], block[cut:]
            lines_before += block.count(b"\n")
            if first:
                block = block.removeprefix(codecs.BOM_UTF8)
                first = False
            yield _decode_block(block, info)
        if tail:
            yield _decode_block(tail.removeprefix(codecs.BOM_UTF8) if first else tail, info)


def _decode_block(block: bytes, info: ImportInfo | None) -> Iterable[str]:
    try:
        return io.StringIO(block.decode("utf-8"), newline="")
    except UnicodeDecodeError:
        pass
    lines = []
    for line in io.BytesIO(block):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            if info is not None:
                info.cp1252_lines += 1
                info.encoding = "utf-8+cp1252" if info.encoding.startswith("utf-8") else "cp1252"
            lines.append(line.decode("cp1252", errors="replace"))
    return lines


def csv_problem(exc: csv.Error) -> str:
    """What a csv.Error means to a person (strict readers raise one for an unclosed quote)."""
    if "unexpected end of data" in str(exc):
        return "a quoted cell is never closed (the file ends inside quotes: truncated?)"
    if "expected after" in str(exc):
        return "a quote inside a quoted cell is not doubled (\"\"), or a quote opened earlier never closes"
    return f"unreadable CSV: {exc}"


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


class Table:
    """One file's rows: the header found row by row, then the data in batches."""

    def __init__(self, source: str, rows: Iterator[list[object]], line_of: Callable[[], int], text: bool,
                 is_header: Callable[[list[object]], bool]):
        self.source, self._rows, self._line_of, self.text = source, rows, line_of, text
        self.header: list[object] = []
        self.header_line = 0
        self.skipped = 0
        while True:  # not a for loop over a wrapper: closing it would close ``rows`` too
            try:
                cells = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:
                raise AuditFormatError(source, line_of(), "-", csv_problem(exc)) from exc
            if is_header(cells):
                self.header, self.header_line = cells, line_of()
                return
            self.skipped += 1
            if line_of() > 50:
                raise AuditFormatError(source, line_of(), "-", "no header row with a reason or time column in the first 50 lines")
        raise AuditFormatError(source, 1, "-", "no header row found (need a reason or time column)")

    def batches(self, size: int) -> Iterator[tuple[np.ndarray, list[list[object]]]]:
        """(start line of each row, rows). A CSV record may span lines (quoted newlines)."""
        next_line = self.header_line + 1
        rows = self._rows
        while True:
            try:
                batch = list(islice(rows, size))
            except csv.Error as exc:
                raise AuditFormatError(self.source, self._line_of(), "-", csv_problem(exc)) from exc
            if not batch:
                return
            end = self._line_of()
            if end - next_line + 1 == len(batch):
                lines = np.arange(next_line, end + 1, dtype=np.int64)
            else:
                spans = np.fromiter((1 + sum(str(c).count("\n") for c in row) for row in batch), dtype=np.int64,
                                    count=len(batch))
                lines = next_line + np.concatenate(([0], np.cumsum(spans)[:-1]))
            next_line = end + 1
            yield lines, batch


def csv_table(path: Path, info: ImportInfo, is_header: Callable[[list[object]], bool]) -> Table:
    lines = open_text_lines(path, info)
    buffered: list[str] = []
    for line in lines:  # the delimiter comes from the first non-blank line
        buffered.append(line)
        if line.strip():
            break
    delimiter = _sniff_delimiter(buffered[-1]) if buffered else ","
    # strict: a quote that never closes is an error, not the rest of the file read as one cell
    reader = csv.reader(chain(buffered, lines), delimiter=delimiter, strict=True)
    return Table(str(path), reader, lambda: reader.line_num, text=True, is_header=is_header)


def xlsx_table(path: Path, info: ImportInfo, is_header: Callable[[list[object]], bool]) -> Table:
    """The first sheet of a workbook, read by calamine (Rust): about as fast as the CSV path,
    where openpyxl's streaming reader is ten times slower. The sheet is held in memory while it
    is read (an XLSX sheet has at most 1,048,576 rows); empty cells read as None."""
    from python_calamine import CalamineWorkbook

    info.encoding = "xlsx"
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several kinds (zip, XML, missing sheet) for a broken file
        raise AuditFormatError(str(path), 0, "-", f"not a readable XLSX workbook: {exc}") from exc
    counter = [0]  # iter_rows yields from the sheet's first row, blank rows above the used range included

    def rows() -> Iterator[list[object]]:
        try:
            for cells in sheet.iter_rows():
                counter[0] += 1
                yield [None if c == "" else c for c in cells]
        finally:
            book.close()

    return Table(str(path), rows(), lambda: counter[0], text=False, is_header=is_header)
