"""Uploaded zip files are read in memory, member by member, with every refusal explained.
Plain functions: no database."""

from __future__ import annotations

import gzip
import io
import random
import stat
import tarfile
import tracemalloc
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gatehouse.core.archives import ArchiveError, ZipContents, read_zip

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
LIMITS: dict[str, Any] = {
    "allowed_suffixes": {".jpg", ".png"},
    "max_members": 20,
    "max_member_bytes": 1_000_000,
    "max_total_bytes": 5_000_000,
}


def _zip(
    *members: tuple[str | zipfile.ZipInfo, bytes], compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def _read(data: bytes, **overrides: Any) -> ZipContents:
    return read_zip(data, **{**LIMITS, **overrides})


def _reasons(contents: ZipContents) -> dict[str, str]:
    return {member.name: member.reason_code for member in contents.rejected}


def _archive_error(data: bytes, **overrides: Any) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught:
        _read(data, **overrides)
    return caught.value


def _patch_sizes(data: bytes, name: str, *, file_size: int) -> bytes:
    """Make both headers of one member declare another uncompressed size (a lying header)."""
    patched = bytearray(data)
    encoded = name.encode()
    central = patched.index(b"PK\x01\x02")
    while True:
        name_length = int.from_bytes(patched[central + 28 : central + 30], "little")
        if patched[central + 46 : central + 46 + name_length] == encoded:
            break
        central = patched.index(b"PK\x01\x02", central + 4)
    local = int.from_bytes(patched[central + 42 : central + 46], "little")
    size = file_size.to_bytes(4, "little")
    patched[central + 24 : central + 28] = size
    patched[local + 22 : local + 26] = size
    return bytes(patched)


def _set_encrypted_flag(data: bytes) -> bytes:
    """Mark the only member as encrypted in both headers (the content itself stays plain)."""
    patched = bytearray(data)
    central = patched.index(b"PK\x01\x02")
    patched[central + 8] |= 0x1
    patched[6] |= 0x1  # the local header starts the file
    return bytes(patched)


# --- files that are read ---------------------------------------------------------------------


def test_files_are_read_with_their_base_names_in_order() -> None:
    contents = _read(_zip(("photos/1001.jpg", JPEG), ("1002.PNG", b"\x89PNG" + JPEG)))
    assert [(member.name, member.data) for member in contents.files] == [
        ("1001.jpg", JPEG),
        ("1002.PNG", b"\x89PNG" + JPEG),
    ]
    assert contents.rejected == []


def test_stored_members_are_read_and_suffixes_need_no_dot() -> None:
    contents = _read(
        _zip(("a.jpg", JPEG), compression=zipfile.ZIP_STORED), allowed_suffixes={"JPG"}
    )
    assert [member.data for member in contents.files] == [JPEG]


def test_directories_mac_metadata_and_dot_files_are_skipped_silently() -> None:
    data = _zip(
        ("photos/", b""),
        ("__MACOSX/photos/._1001.jpg", b"\x00\x05\x16\x07"),
        (".DS_Store", b"\x00\x00\x00\x01Bud1"),
        ("photos/.hidden.jpg", JPEG),
        ("photos/1001.jpg", JPEG),
    )
    contents = _read(data)
    assert [member.name for member in contents.files] == ["1001.jpg"]
    assert contents.rejected == []


def test_skipped_entries_do_not_count_as_members() -> None:
    members = [(f"photos/{n}.jpg", JPEG) for n in range(20)]
    junk = [(f"__MACOSX/photos/._{n}.jpg", b"x") for n in range(20)]
    assert len(_read(_zip(("photos/", b""), *members, *junk)).files) == 20


def test_same_base_name_in_two_folders_keeps_the_first() -> None:
    contents = _read(_zip(("a/1001.jpg", JPEG), ("b/1001.JPG", b"other" + JPEG)))
    assert [member.data for member in contents.files] == [JPEG]
    assert _reasons(contents) == {"b/1001.JPG": "duplicate_name"}


# --- members refused one by one --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../evil.jpg",
        "photos/../../evil.jpg",
        "/etc/evil.jpg",
        "C:/Windows/evil.jpg",
        "c:evil.jpg",
        "photos\\..\\evil.jpg",
    ],
)
def test_paths_leading_out_of_the_archive_are_refused(name: str) -> None:
    contents = _read(_zip((name, JPEG), ("ok.jpg", JPEG)))
    assert [member.name for member in contents.files] == ["ok.jpg"]
    assert _reasons(contents) == {name: "unsafe_path"}
    assert contents.rejected[0].message.startswith(f"{name}: the path is absolute")


def test_symbolic_link_is_refused() -> None:
    link = zipfile.ZipInfo("photo.jpg")
    link.create_system = 3  # Unix
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    contents = _read(_zip((link, b"/etc/passwd")))
    assert contents.files == []
    assert _reasons(contents) == {"photo.jpg": "symlink"}
    assert "symbolic link" in contents.rejected[0].message


def test_nested_archives_are_refused_by_suffix_and_by_content() -> None:
    inner_zip = _zip(("inner.jpg", JPEG))
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w") as tar:
        info = tarfile.TarInfo("inner.jpg")
        info.size = len(JPEG)
        tar.addfile(info, io.BytesIO(JPEG))
    data = _zip(
        ("inner.zip", inner_zip),
        ("more.7z", b"7z\xbc\xaf\x27\x1c"),
        ("renamed-zip.jpg", inner_zip),
        ("renamed-gzip.png", gzip.compress(JPEG)),
        ("renamed-tar.jpg", tar_buffer.getvalue()),
        ("ok.jpg", JPEG),
    )
    contents = _read(data)
    assert [member.name for member in contents.files] == ["ok.jpg"]
    assert set(_reasons(contents).values()) == {"nested_archive"}
    assert len(contents.rejected) == 5
    assert "archive inside the archive" in contents.rejected[0].message


def test_wrong_file_type_is_refused_with_the_accepted_types() -> None:
    contents = _read(_zip(("notes.txt", b"hello"), ("photo.jpeg", JPEG)))
    assert _reasons(contents) == {"notes.txt": "wrong_type", "photo.jpeg": "wrong_type"}
    assert "(.jpg, .png)" in contents.rejected[0].message


def test_member_larger_than_allowed_is_refused_by_its_declared_size() -> None:
    big = random.Random(1).randbytes(5000)
    contents = _read(_zip(("big.jpg", big), ("small.jpg", JPEG)), max_member_bytes=4000)
    assert [member.name for member in contents.files] == ["small.jpg"]
    assert _reasons(contents) == {"big.jpg": "too_large"}
    assert "larger than 3.9" in contents.rejected[0].message


def test_zip_bomb_member_is_refused_by_its_compression_ratio() -> None:
    bomb = bytes(20_000_000)  # compresses about 1000 to 1
    contents = _read(
        _zip(("bomb.jpg", bomb)), max_member_bytes=50_000_000, max_total_bytes=50_000_000
    )
    assert contents.files == []
    assert _reasons(contents) == {"bomb.jpg": "compression_ratio"}
    assert "more than 100 to 1" in contents.rejected[0].message


def test_password_protected_member_is_refused() -> None:
    contents = _read(_set_encrypted_flag(_zip(("secret.jpg", JPEG))))
    assert _reasons(contents) == {"secret.jpg": "encrypted"}


def test_unsupported_compression_is_refused() -> None:
    contents = _read(_zip(("a.jpg", JPEG), compression=zipfile.ZIP_BZIP2))
    assert _reasons(contents) == {"a.jpg": "unsupported_compression"}


def test_member_whose_header_understates_its_size_is_refused_without_inflating_it() -> None:
    actual = bytes(50_000_000)  # 50 MB of zeros, declared as 100 bytes
    data = _patch_sizes(_zip(("liar.jpg", actual), ("ok.jpg", JPEG)), "liar.jpg", file_size=100)
    tracemalloc.start()
    try:
        contents = _read(data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [member.name for member in contents.files] == ["ok.jpg"]
    assert _reasons(contents) == {"liar.jpg": "size_mismatch"}
    assert peak < 5_000_000  # the 50 MB were never in memory


def test_member_whose_header_overstates_its_size_is_refused() -> None:
    data = _patch_sizes(_zip(("short.jpg", JPEG)), "short.jpg", file_size=len(JPEG) + 10)
    assert _reasons(_read(data)) == {"short.jpg": "size_mismatch"}


def test_damaged_member_is_refused_and_the_others_are_read() -> None:
    data = bytearray(_zip(("damaged.jpg", JPEG), ("ok.jpg", JPEG), compression=zipfile.ZIP_STORED))
    content_start = data.index(JPEG)
    data[content_start + 100] ^= 0xFF  # the checksum no longer matches
    contents = _read(bytes(data))
    assert [member.name for member in contents.files] == ["ok.jpg"]
    assert _reasons(contents) == {"damaged.jpg": "corrupt"}


# --- the archive as a whole ------------------------------------------------------------------


def test_too_many_members_is_refused_with_the_limit() -> None:
    members = [(f"{n}.jpg", JPEG) for n in range(21)]
    error = _archive_error(_zip(*members))
    assert error.code == "too_many_members"
    assert str(error) == "The archive holds 21 files; at most 20 are allowed."


def test_total_declared_size_above_the_limit_is_refused() -> None:
    noise = random.Random(2)
    members = [(f"{n}.jpg", noise.randbytes(400_000)) for n in range(3)]
    error = _archive_error(_zip(*members), max_total_bytes=1_000_000)
    assert error.code == "too_large"
    assert "at most 976.6" in str(error)


@pytest.mark.parametrize(
    "content",
    [b"", b"Rar!\x1a\x07\x00rest", random.Random(3).randbytes(2000), b"not a zip at all"],
)
def test_not_a_zip(content: bytes) -> None:
    error = _archive_error(content)
    assert error.code == "not_zip"
    assert str(error) == "The file is not a zip archive."


def test_truncated_zip_is_corrupt() -> None:
    data = _zip(("a.jpg", JPEG), ("b.jpg", JPEG))
    error = _archive_error(data[: len(data) - 30])
    assert error.code == "corrupt"
    assert "damaged" in str(error)


def test_empty_zip_has_no_files() -> None:
    assert _read(_zip()) == ZipContents(files=[], rejected=[])


# --- arbitrary input -------------------------------------------------------------------------

_VALID = _zip(("photos/1001.jpg", JPEG), ("1002.png", JPEG), ("notes.txt", b"x"))


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.tuples(
            st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
            st.one_of(st.none(), st.integers(min_value=0)),
        ),
    )
)
def test_arbitrary_bytes_only_ever_raise_archive_error(
    sample: bytes | tuple[list[tuple[int, int]], int | None],
) -> None:
    if isinstance(sample, bytes):
        data = sample
    else:
        patches, cut = sample
        mutable = bytearray(_VALID)
        for position, value in patches:
            mutable[position % len(mutable)] = value
        data = bytes(mutable if cut is None else mutable[: cut % len(mutable)])
    assert _outcome(data)


def _outcome(data: bytes) -> str:
    """The user's message, or "read" when every refusal is explained and every file is within
    the limit; never another error."""
    try:
        contents = _read(data)
    except ArchiveError as error:
        return str(error)
    explained = all(member.message for member in contents.rejected)
    bounded = all(len(member.data) <= LIMITS["max_member_bytes"] for member in contents.files)
    return "read" if explained and bounded else ""
