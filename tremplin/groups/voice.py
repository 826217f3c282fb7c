"""Voice messages: checked by parsing the container the browser recorded, kept as is.

Chrome, Edge, Firefox and Android record WebM/Opus; Safari (macOS, iOS) records MP4/AAC.
The server has no transcoder (no ffmpeg on the hosts), so a recording is stored in its
own container: MP4/AAC plays in every browser; WebM/Opus plays in Chrome, Firefox, Edge,
Android and Safari 15+ on macOS, on iPhones from iOS 17.4 (older iPhones cannot play a
voice message recorded on Android). The recorder asks for MP4/AAC first where the browser
can make it.

What is checked: WebM by walking its EBML elements (header doctype `webm`, one audio
track, Opus or Vorbis, every element inside the file: a truncated upload fails) and its
length from the block timestamps (MediaRecorder writes no duration); MP4 and Ogg by
mutagen, the length of a fragmented MP4 (what MediaRecorder writes) from its fragments'
sample durations. The length and the size are bounded.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tremplin.platform.errors import DomainError

DEFAULT_MAX_SECONDS = 120
DEFAULT_MAX_BYTES = 3 * 1024 * 1024


class VoiceRejected(DomainError):
    default_message = _l(
        "Cet enregistrement n’a pas pu être lu : il est incomplet ou dans un format non "
        "accepté (WebM/Opus, MP4/AAC, Ogg/Opus). Enregistrez-le à nouveau."
    )


@dataclass(frozen=True)
class CheckedVoice:
    extension: str
    content_type: str
    duration_ms: int
    data: bytes


def max_seconds() -> int:
    return int(current_app.config.get("CHAT_VOICE_MAX_SECONDS", DEFAULT_MAX_SECONDS))


def max_bytes() -> int:
    return int(current_app.config.get("CHAT_VOICE_MAX_BYTES", DEFAULT_MAX_BYTES))


class _Malformed(Exception):
    pass


# --- WebM (Matroska) ------------------------------------------------------------------

EBML, DOCTYPE = 0x1A45DFA3, 0x4282
SEGMENT, INFO, TRACKS, CLUSTER = 0x18538067, 0x1549A966, 0x1654AE6B, 0x1F43B675
TIMECODE_SCALE, DURATION = 0x2AD7B1, 0x4489
TRACK_ENTRY, TRACK_TYPE, CODEC_ID = 0xAE, 0x83, 0x86
CLUSTER_TIMECODE, SIMPLE_BLOCK, BLOCK_GROUP, BLOCK = 0xE7, 0xA3, 0xA0, 0xA1
CLUSTER_CHILDREN = {CLUSTER_TIMECODE, SIMPLE_BLOCK, BLOCK_GROUP, 0xA7, 0xAB, 0xEC, 0xBF}
UNKNOWN = -1


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    if pos >= len(data):
        raise _Malformed("end of data")
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise _Malformed("bad vint")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = UNKNOWN
    return value, pos + length


def _elements(data: bytes, start: int, end: int, siblings_end: set[int] | None = None):
    """(id, payload start, payload end) of each element between start and end. An element
    of unknown size (MediaRecorder's Segment and Clusters) ends where an element that
    cannot be its child begins (`siblings_end` for its children), or at `end`."""
    pos = start
    while pos < end:
        element_id, pos = _vint(data, pos, True)
        size, pos = _vint(data, pos, False)
        if size == UNKNOWN:
            stop = end
            if element_id == CLUSTER:
                scan = pos
                while scan < end:
                    child, after = _vint(data, scan, True)
                    if child not in CLUSTER_CHILDREN:
                        break
                    child_size, after = _vint(data, after, False)
                    if child_size == UNKNOWN:
                        raise _Malformed("unknown size inside a cluster")
                    scan = after + child_size
                stop = min(scan, end)
            yield element_id, pos, stop
            pos = stop
            continue
        if pos + size > end:
            raise _Malformed("element past the end (truncated)")
        yield element_id, pos, pos + size
        pos += size


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


def webm_duration_ms(data: bytes) -> int:
    header = list(_elements(data, 0, len(data)))
    if not header or header[0][0] != EBML:
        raise _Malformed("not EBML")
    _id, hstart, hend = header[0]
    doctype = next((data[s:e] for i, s, e in _elements(data, hstart, hend) if i == DOCTYPE), b"")
    if doctype.rstrip(b"\0") != b"webm":
        raise _Malformed("not webm")
    segment = next(((s, e) for i, s, e in header[1:] if i == SEGMENT), None)
    if segment is None:
        raise _Malformed("no segment")
    scale, declared, audio_tracks, other_tracks = 1_000_000, 0.0, 0, 0
    last_timecode, blocks = 0, 0
    for element_id, start, end in _elements(data, *segment):
        if element_id == INFO:
            for child, cstart, cend in _elements(data, start, end):
                if child == TIMECODE_SCALE:
                    scale = _uint(data[cstart:cend]) or scale
                elif child == DURATION and cend - cstart in (4, 8):
                    fmt = ">f" if cend - cstart == 4 else ">d"
                    declared = struct.unpack(fmt, data[cstart:cend])[0]
        elif element_id == TRACKS:
            for child, cstart, cend in _elements(data, start, end):
                if child != TRACK_ENTRY:
                    continue
                fields = {i: data[s:e] for i, s, e in _elements(data, cstart, cend)}
                codec = fields.get(CODEC_ID, b"").rstrip(b"\0")
                if _uint(fields.get(TRACK_TYPE, b"")) == 2 and codec in (b"A_OPUS", b"A_VORBIS"):
                    audio_tracks += 1
                else:
                    other_tracks += 1
        elif element_id == CLUSTER:
            base = 0
            for child, cstart, cend in _elements(data, start, end):
                if child == CLUSTER_TIMECODE:
                    base = _uint(data[cstart:cend])
                block = None
                if child == SIMPLE_BLOCK:
                    block = (cstart, cend)
                elif child == BLOCK_GROUP:
                    block = next(
                        ((s, e) for i, s, e in _elements(data, cstart, cend) if i == BLOCK), None
                    )
                if block:
                    _track, after = _vint(data, block[0], False)
                    if after + 3 > block[1]:
                        raise _Malformed("short block")
                    relative = struct.unpack(">h", data[after : after + 2])[0]
                    last_timecode = max(last_timecode, base + relative)
                    blocks += 1
    if audio_tracks != 1 or other_tracks or not blocks:
        raise _Malformed("not one audio track with frames")
    # the last frame lasts ~20 ms (Opus); counted so a 2 s recording reads 2 s
    measured = (last_timecode * scale) / 1_000_000 + 20
    return int(max(measured, declared * scale / 1_000_000))


# --- MP4 --------------------------------------------------------------------------------

_VIDEO_TRACK = re.compile(rb"hdlr.{8}vide", re.S)


def _boxes(data: bytes, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise _Malformed("short box")
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _Malformed("box past the end (truncated)")
        yield kind, pos + header, pos + size
        pos += size
    if pos != end:
        raise _Malformed("trailing bytes")


def _find(data: bytes, start: int, end: int, path: list[bytes]):
    for kind, s, e in _boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                yield s, e
            else:
                yield from _find(data, s, e, path[1:])


def fragmented_mp4_duration_ms(data: bytes) -> int:
    """The length of a fragmented MP4 (one audio track): the sum of its samples'
    durations over the track's timescale."""
    timescale = next(
        (
            struct.unpack(
                ">I", data[s + (20 if data[s] == 1 else 12) : s + (24 if data[s] == 1 else 16)]
            )[0]
            for s, _e in _find(data, 0, len(data), [b"moov", b"trak", b"mdia", b"mdhd"])
        ),
        0,
    )
    trex_default = next(
        (
            struct.unpack(">I", data[s + 12 : s + 16])[0]
            for s, _e in _find(data, 0, len(data), [b"moov", b"mvex", b"trex"])
        ),
        0,
    )
    if not timescale:
        raise _Malformed("no timescale")
    total = 0
    for traf_start, traf_end in _find(data, 0, len(data), [b"moof", b"traf"]):
        default = trex_default
        for kind, s, e in _boxes(data, traf_start, traf_end):
            if kind == b"tfhd":
                flags = int.from_bytes(data[s + 1 : s + 4], "big")
                pos = s + 8  # version/flags, track id
                pos += 8 if flags & 0x01 else 0
                pos += 4 if flags & 0x02 else 0
                if flags & 0x08:
                    default = struct.unpack(">I", data[pos : pos + 4])[0]
            elif kind == b"trun":
                flags = int.from_bytes(data[s + 1 : s + 4], "big")
                count = struct.unpack(">I", data[s + 4 : s + 8])[0]
                pos = s + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
                per_sample = sum(4 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
                if pos + count * per_sample > e:
                    raise _Malformed("short trun")
                if flags & 0x100:
                    for i in range(count):
                        total += struct.unpack(
                            ">I", data[pos + i * per_sample : pos + i * per_sample + 4]
                        )[0]
                else:
                    total += count * default
    return int(total * 1000 / timescale)


def _mutagen_length(data: bytes, kind: str) -> float:
    from mutagen import MutagenError

    try:
        if kind == "mp4":
            from mutagen.mp4 import MP4

            info = MP4(io.BytesIO(data)).info
            codec = (info.codec or "").lower()
            if not (codec.startswith("mp4a") or codec == "opus") or _VIDEO_TRACK.search(data):
                raise _Malformed("not an audio-only MP4")
        else:
            from mutagen.oggopus import OggOpus

            info = OggOpus(io.BytesIO(data)).info
    except (MutagenError, struct.error, ValueError, EOFError, IndexError) as exc:
        raise _Malformed(str(exc)) from exc
    return float(info.length or 0)


# --- the check --------------------------------------------------------------------------


def check_voice(data: bytes, field: str | None = None) -> CheckedVoice:
    """The recording's container and length, or VoiceRejected with a French reason."""
    try:
        if data[:4] == b"\x1a\x45\xdf\xa3":
            extension, content_type = "webm", "audio/webm"
            duration = webm_duration_ms(data)
        elif data[4:8] == b"ftyp":
            extension, content_type = "m4a", "audio/mp4"
            list(_boxes(data, 0, len(data)))  # every top-level box whole
            duration = int(_mutagen_length(data, "mp4") * 1000)
            if b"moof" in data:
                duration = max(duration, fragmented_mp4_duration_ms(data))
        elif data[:4] == b"OggS":
            extension, content_type = "ogg", "audio/ogg"
            duration = int(_mutagen_length(data, "ogg") * 1000)
        else:
            raise VoiceRejected(field=field)
    except (_Malformed, struct.error, IndexError, ValueError) as exc:
        raise VoiceRejected(field=field) from exc
    if duration <= 0:
        raise VoiceRejected(_("Cet enregistrement est vide."), field=field)
    limit = max_seconds()
    if duration > limit * 1000 + 500:  # half a second of slack for the recorder's stop
        raise VoiceRejected(
            _(
                "Ce message vocal est trop long : %(n)d minutes au maximum.",
                n=max(1, limit // 60),
            )
            if limit >= 60
            else _("Ce message vocal est trop long : %(n)d secondes au maximum.", n=limit),
            field=field,
        )
    return CheckedVoice(extension, content_type, duration, data)
