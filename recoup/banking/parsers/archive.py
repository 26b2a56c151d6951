"""What one upload may hold, and the members of a zip of statements, read within those limits.

A zip is read member by member with the standard library, each member streamed in
chunks and counted, so neither a declared size nor an actual one can make Recoup
unpack more than ``Limits.max_unzipped`` bytes. A member that is itself an archive
(zip, gzip, bzip2, xz, 7z, rar, zstd, tar) is refused: archives inside archives
multiply the work without bound. A damaged member (bad CRC, broken compressed data)
or an encrypted one is refused naming the member.
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from dataclasses import dataclass

from recoup.banking.parsers.base import StatementError

MB = 2**20
_CHUNK = 256 * 1024
_MAGIC = (
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"PK\x07\x08", "zip"), (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!\x1a\x07", "rar"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


@dataclass(frozen=True)
class Limits:
    """Caps on one upload (settings ``RECOUP_STATEMENT_*``, see docs/banking.md)."""

    max_upload: int = 20 * MB  # the uploaded file itself
    max_unzipped: int = 50 * MB  # a zip's members unpacked, together
    max_files: int = 100  # members of a zip
    max_lines: int = 50_000  # statement lines of the whole upload

    def check_lines(self, filename: str, count: int) -> None:
        if count > self.max_lines:
            raise StatementError(filename, "", f"more than {self.max_lines:,} statement lines in one upload; "
                                               f"import the statements in smaller files")


def archive_kind(data: bytes) -> str:
    """'zip', 'gzip', ... when the bytes are an archive or compressed file, else ''."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return "tar" if data[257:262] == b"ustar" else ""


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n:,} bytes"


def zip_members(filename: str, data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    """(name, content) of every file in the zip, by name; refuses what is damaged, nested or too large."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted((m for m in archive.infolist() if not m.is_dir()), key=lambda m: m.filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise StatementError(filename, "", f"not a readable zip file ({exc})") from None
    if not members:
        raise StatementError(filename, "", "the zip file is empty")
    if len(members) > limits.max_files:
        raise StatementError(filename, "", f"the zip holds {len(members):,} files, more than the {limits.max_files:,} "
                                           f"one upload may hold")
    declared = sum(m.file_size for m in members)
    if declared > limits.max_unzipped:
        raise StatementError(filename, "", f"the zip says it unpacks to {_size(declared)}, more than the "
                                           f"{_size(limits.max_unzipped)} one upload may hold")
    out: list[tuple[str, bytes]] = []
    left = limits.max_unzipped
    for member in members:
        name = f"{filename}/{member.filename}"
        content = _read_member(archive, member, name, left, limits)
        left -= len(content)
        kind = archive_kind(content)
        if kind:
            raise StatementError(name, "", f"a {kind} archive inside the zip: archives inside archives are not "
                                           f"read; unpack it and upload the statements it holds")
        out.append((name, content))
    return out


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, left: int, limits: Limits) -> bytes:
    if member.flag_bits & 0x1:
        raise StatementError(name, "", "the file is encrypted in the zip; upload it without a password")
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > member.file_size:
                    raise StatementError(name, "", f"the file unpacks to more than the {_size(member.file_size)} "
                                                   f"the zip says it holds; the zip is damaged")
                if size > left:
                    raise StatementError(name, "", f"the zip unpacks to more than the {_size(limits.max_unzipped)} "
                                                   f"one upload may hold")
                chunks.append(chunk)
    except StatementError:
        raise
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError) as exc:
        raise StatementError(name, "", f"the file is damaged in the zip ({exc})") from None
    except (NotImplementedError, RuntimeError) as exc:  # an unsupported compression method, a password
        raise StatementError(name, "", f"the file cannot be unpacked ({exc})") from None
    return b"".join(chunks)
