"""Reading uploaded zip files (for example a folder of photos) without trusting them.

Nothing is written to disk. The limits are checked on the central directory before anything is
inflated, and each member is then inflated with a bounded read, so that neither a zip bomb nor a
header that lies about a member's size can exhaust memory. Members that fail a check are reported
one by one, so that an import can say why each file was skipped; only a problem with the archive
as a whole raises ArchiveError.
"""

from __future__ import annotations

import copy
import io
import re
import stat
import sys
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

NESTED_ARCHIVE_SUFFIXES = frozenset({".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz"})
NESTED_ARCHIVE_MAGIC = (
    b"PK\x03\x04",  # zip
    b"PK\x05\x06",  # empty zip
    b"PK\x07\x08",  # spanned zip
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
)
TAR_MAGIC = b"ustar"
TAR_MAGIC_OFFSET = 257
# bzip2 and lzma members are inflated by zipfile without an output bound; only these two are read.
SUPPORTED_COMPRESSION = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
ENCRYPTED_FLAG = 0x1
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")


class ArchiveError(Exception):
    """The upload as a whole cannot be used; str() is the message for the user."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ZipMember:
    name: str  # the base name: folders inside the zip carry no meaning for an import
    data: bytes


@dataclass(frozen=True)
class RejectedMember:
    name: str  # the path inside the zip, as the user's zip program shows it
    reason_code: str
    message: str


@dataclass(frozen=True)
class ZipContents:
    files: list[ZipMember]
    rejected: list[RejectedMember]


def open_zip(data: bytes) -> zipfile.ZipFile:
    """Parse the central directory only; nothing is inflated yet, so the caller can check the
    declared sizes first."""
    if not data.startswith(ZIP_MAGIC):
        raise ArchiveError(_("The file is not a zip archive."), code="not_zip")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # any parser error on untrusted bytes means the same to the user
        raise ArchiveError(
            _("The zip archive is damaged and cannot be read."), code="corrupt"
        ) from exc


def read_zip(
    data: bytes,
    *,
    allowed_suffixes: Collection[str],
    max_members: int,
    max_member_bytes: int,
    max_total_bytes: int,
    max_ratio: int = 100,
) -> ZipContents:
    """The files of an uploaded zip, in archive order, and the members refused with a reason.

    Directories, `__MACOSX/` and dot files are skipped silently; they are what zip programs add.
    Archives inside the archive are refused (by suffix and by content), so are files whose name
    is the same as an earlier one's, as an import keyed by file name could not tell them apart.
    """
    suffixes = {_normal_suffix(suffix) for suffix in allowed_suffixes}
    with open_zip(data) as archive:
        try:
            entries = [info for info in archive.infolist() if not _is_skipped(info)]
        except Exception as exc:  # a name zipfile decoded but that we cannot handle
            raise ArchiveError(
                _("The zip archive is damaged and cannot be read."), code="corrupt"
            ) from exc
        if len(entries) > max_members:
            raise ArchiveError(
                _("The archive holds %(count)s files; at most %(limit)s are allowed.")
                % {"count": f"{len(entries):,}", "limit": f"{max_members:,}"},
                code="too_many_members",
            )
        rejected: list[RejectedMember] = []
        to_read: list[zipfile.ZipInfo] = []
        for info in entries:
            refusal = _check_declared(
                info, suffixes=suffixes, max_member_bytes=max_member_bytes, max_ratio=max_ratio
            )
            if refusal is None:
                to_read.append(info)
            else:
                rejected.append(refusal)
        total = sum(info.file_size for info in to_read)
        if total > max_total_bytes:
            raise ArchiveError(
                _(
                    "The files in the archive add up to %(size)s once unpacked; "
                    "at most %(limit)s are allowed."
                )
                % {"size": filesizeformat(total), "limit": filesizeformat(max_total_bytes)},
                code="too_large",
            )
        files: list[ZipMember] = []
        seen: set[str] = set()
        for info in to_read:
            outcome = _read_member(archive, info, seen=seen)
            if isinstance(outcome, RejectedMember):
                rejected.append(outcome)
            else:
                files.append(outcome)
    return ZipContents(files=files, rejected=rejected)


def _normal_suffix(suffix: str) -> str:
    suffix = suffix.strip().lower()
    return suffix if suffix.startswith(".") else f".{suffix}"


def _is_unsafe_name(name: str) -> bool:
    """Names that would escape a target folder if anyone ever extracted them (zip-slip)."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return True
    return bool(_DRIVE_LETTER.match(name)) or ".." in name.split("/")


def _is_skipped(info: zipfile.ZipInfo) -> bool:
    if _is_unsafe_name(info.orig_filename):
        return False  # reported, never skipped silently
    if info.is_dir():
        return True
    parts = PurePosixPath(info.filename).parts
    return parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts)


def _reject(info: zipfile.ZipInfo, reason_code: str, message: str) -> RejectedMember:
    return RejectedMember(name=info.filename, reason_code=reason_code, message=message)


def _check_declared(
    info: zipfile.ZipInfo, *, suffixes: set[str], max_member_bytes: int, max_ratio: int
) -> RejectedMember | None:
    """The first check that needs only the central directory and fails, if any."""
    problems = _declared_problems(
        info, suffixes=suffixes, max_member_bytes=max_member_bytes, max_ratio=max_ratio
    )
    problem = next(problems, None)
    if problem is None:
        return None
    reason_code, message = problem
    return _reject(info, reason_code, message)


def _declared_problems(
    info: zipfile.ZipInfo, *, suffixes: set[str], max_member_bytes: int, max_ratio: int
) -> Iterator[tuple[str, str]]:
    """(reason code, message) of each failed check, in order; run before anything is inflated."""
    name = info.filename
    suffix = PurePosixPath(name).suffix.lower()
    if _is_unsafe_name(info.orig_filename):
        message = _(
            "%(name)s: the path is absolute or leads out of the archive; the file was skipped."
        )
        yield "unsafe_path", message % {"name": name}
    if stat.S_ISLNK(info.external_attr >> 16):
        message = _("%(name)s is a symbolic link, not a file; it was skipped.")
        yield "symlink", message % {"name": name}
    if info.flag_bits & ENCRYPTED_FLAG:
        message = _("%(name)s is protected with a password; it was skipped.")
        yield "encrypted", message % {"name": name}
    if suffix in NESTED_ARCHIVE_SUFFIXES:
        yield "nested_archive", _nested_message(name)
    if suffix not in suffixes:
        message = _("%(name)s is not an accepted file type (%(types)s); it was skipped.")
        yield "wrong_type", message % {"name": name, "types": ", ".join(sorted(suffixes))}
    if info.compress_type not in SUPPORTED_COMPRESSION:
        message = _(
            "%(name)s is compressed with a method that is not supported; create the zip again "
            "with the standard (deflate) compression."
        )
        yield "unsupported_compression", message % {"name": name}
    if info.file_size > max_member_bytes:
        message = _("%(name)s is larger than %(limit)s; it was skipped.")
        yield "too_large", message % {"name": name, "limit": filesizeformat(max_member_bytes)}
    if info.file_size > max_ratio * max(info.compress_size, 1):
        message = _(
            "%(name)s is compressed more than %(ratio)s to 1, as decompression bombs are; "
            "it was skipped."
        )
        yield "compression_ratio", message % {"name": name, "ratio": max_ratio}


def _nested_message(name: str) -> str:
    message = _(
        "%(name)s is an archive inside the archive; put its files directly in the zip instead."
    )
    return message % {"name": name}


def _is_archive(data: bytes) -> bool:
    tar_magic = data[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + len(TAR_MAGIC)]
    return data.startswith(NESTED_ARCHIVE_MAGIC) or tar_magic == TAR_MAGIC


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """At most one byte more than the member declares: enough to tell that its header lies.

    zipfile would stop at the declared size and then fail on the checksum, which cannot be told
    from damage; so the size limit is lifted from its copy of the header and the read is bounded
    here instead. The checksum is still verified when the stream ends within the bound.
    """
    probe = copy.copy(info)
    probe.file_size = sys.maxsize
    with archive.open(probe) as stream:
        return stream.read(info.file_size + 1)


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, seen: set[str]
) -> ZipMember | RejectedMember:
    name = info.filename
    try:
        data = _inflate(archive, info)
    except Exception:  # bad CRC, bad local header, overlapping members, truncated stream, ...
        message = _("%(name)s is damaged and cannot be unpacked; it was skipped.")
        return _reject(info, "corrupt", message % {"name": name})
    if len(data) != info.file_size:
        message = _(
            "%(name)s holds a different amount of data than its header declares; "
            "it was skipped as damaged or crafted."
        )
        return _reject(info, "size_mismatch", message % {"name": name})
    if _is_archive(data):
        return _reject(info, "nested_archive", _nested_message(name))
    base_name = PurePosixPath(name).name
    if base_name.casefold() in seen:
        message = _(
            "%(name)s has the same file name as an earlier file in the archive; it was skipped."
        )
        return _reject(info, "duplicate_name", message % {"name": name})
    seen.add(base_name.casefold())
    return ZipMember(name=base_name, data=data)
