"""What mutagen does not read of a recording: small, bounded readers of audio containers.

``webapp.media.audio`` measures recordings with mutagen where it can; these readers fill
its gaps, for files a browser's ``MediaRecorder`` writes and for files cut short:

- WebM (Matroska): mutagen has no reader for it at all, and Chromium's MediaRecorder
  writes a live WebM whose Segment and Clusters have an unknown size and whose Info has
  no Duration.  :func:`webm_seconds` walks the elements, skipping every payload but the
  few it needs, and measures the Opus track from its blocks' timecodes (the last block's
  own length from its Opus packet's TOC byte, RFC 6716 §3.1).
- Fragmented MP4: Chromium's MediaRecorder (``audio/mp4``) writes an empty ``moov`` and
  then ``moof`` fragments; its ``mdhd`` duration is in milliseconds though the track's
  timescale is 48 kHz, so mutagen (which reads ``mdhd``) says a 2 s recording lasts
  0.04 s.  :func:`mp4_layout` sums the sample durations of every ``trun`` instead.
- Cut files: mutagen reads a WAV's length from its ``data`` chunk header and an Ogg's from
  its last page, whether or not the bytes are there.  :func:`check_riff` and
  :func:`check_ogg_pages` walk the chunks and pages to the end.

Each reader looks at each byte at most once, reads lengths before it trusts them, stops
at a number of elements, boxes, chunks or pages no ten-minute recording needs (a file of
tiny empty elements would otherwise keep a request busy for seconds), and raises a
:class:`ContainerError` for anything it cannot measure; none executes or decodes anything.
No Flask, no mutagen here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass


class ContainerError(Exception):
    """A file whose container cannot be measured."""


class Truncated(ContainerError):
    """The file ends inside an element, box, chunk or page: it was cut short."""


class Damaged(ContainerError):
    """Lengths or values that no well-formed file has."""


class Unsupported(ContainerError):
    """A well-formed container holding what Bidean does not take (video, another codec)."""


# Ten minutes in the shortest Opus packets (2.5 ms) are 240,000 blocks or pages; a
# recording in 20 ms packets has 30,000.  A WAV has a handful of chunks.
MAX_ELEMENTS = 300_000
MAX_BOXES = 100_000
MAX_CHUNKS = 1_000


def _budget(limit: int, what: str) -> Iterator[int]:
    """Counts up to ``limit``, then refuses the file."""
    yield from range(limit)
    raise Damaged(f"more {what} than any recording has")


# --- WebM --------------------------------------------------------------------------------

EBML = 0x1A45DFA3
DOC_TYPE = 0x4282
SEGMENT = 0x18538067
INFO = 0x1549A966
TIMECODE_SCALE = 0x2AD7B1
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_TYPE = 0x83
CODEC_ID = 0x86
CLUSTER = 0x1F43B675
CLUSTER_TIMECODE = 0xE7
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
SIMPLE_BLOCK = 0xA3
# Masters whose children are read; every other element is skipped whole by its size.
DESCEND = frozenset({SEGMENT, INFO, TRACKS, TRACK_ENTRY, CLUSTER, BLOCK_GROUP})
TRACK_VIDEO, TRACK_AUDIO = 1, 2


def _vint(data: bytes, pos: int, *, marker: bool) -> tuple[int, int, bool]:
    """An EBML variable-length integer at ``pos``: (value, next position, all ones)."""
    if pos >= len(data):
        raise Truncated("the file ends inside an element header")
    first = data[pos]
    if first == 0:
        raise Damaged("an element header longer than 8 bytes")
    length = 9 - first.bit_length()
    if pos + length > len(data):
        raise Truncated("the file ends inside an element header")
    value = int.from_bytes(data[pos : pos + length], "big")
    if marker:
        return value, pos + length, False
    value &= (1 << (7 * length)) - 1
    return value, pos + length, value == (1 << (7 * length)) - 1


def _uint(body: bytes) -> int:
    if len(body) > 8:
        raise Damaged("an integer element longer than 8 bytes")
    return int.from_bytes(body, "big")


def opus_packet_seconds(packet: bytes) -> float:
    """How long an Opus packet plays, from its TOC byte (RFC 6716 §3.1)."""
    if not packet:
        raise Damaged("an empty Opus packet")
    config, code = packet[0] >> 3, packet[0] & 3
    if config < 12:  # SILK
        frame_ms = (10, 20, 40, 60)[config % 4]
    elif config < 16:  # hybrid
        frame_ms = (10, 20)[config % 2]
    else:  # CELT
        frame_ms = (2.5, 5, 10, 20)[config % 4]
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    elif len(packet) > 1:
        frames = packet[1] & 0x3F
    else:
        raise Damaged("an Opus packet without its frame count")
    return frame_ms * frames / 1000


@dataclass
class _WebmTrack:
    number: int | None = None
    kind: int | None = None
    codec: str | None = None


def _ebml_doc_type(data: bytes) -> tuple[str, int]:
    """The EBML header's DocType and where the header ends."""
    ident, pos, _ = _vint(data, 0, marker=True)
    if ident != EBML:
        raise Damaged("no EBML header")
    size, pos, unknown = _vint(data, pos, marker=False)
    end = pos + size
    if unknown or end > len(data):
        raise Truncated("the EBML header is cut short")
    doc_type = ""
    while pos < end:
        ident, pos, _ = _vint(data, pos, marker=True)
        size, pos, unknown = _vint(data, pos, marker=False)
        if unknown or pos + size > end:
            raise Damaged("an EBML header element overruns the header")
        if ident == DOC_TYPE:
            doc_type = data[pos : pos + size].rstrip(b"\0").decode("ascii", "replace")
        pos += size
    return doc_type, end


def webm_seconds(data: bytes) -> float:
    """How long the Opus track of a WebM file plays, measured from its blocks."""
    doc_type, pos = _ebml_doc_type(data)
    if doc_type != "webm":
        raise Unsupported(f"a {doc_type or 'Matroska'} file, not WebM")
    scale = 1_000_000  # nanoseconds per timecode unit, unless Info says otherwise
    tracks: list[_WebmTrack] = []
    audio: _WebmTrack | None = None
    cluster_time: int | None = None
    first = last = previous = None  # block timecodes of the audio track
    last_block = b""
    budget = _budget(MAX_ELEMENTS, "elements")
    while pos < len(data):
        next(budget)
        ident, pos, _ = _vint(data, pos, marker=True)
        size, pos, unknown = _vint(data, pos, marker=False)
        if ident in DESCEND:
            if not unknown and pos + size > len(data):
                raise Truncated("the file ends inside an element")
            if ident == TRACK_ENTRY:
                tracks.append(_WebmTrack())
            elif ident == CLUSTER:
                cluster_time = None
            continue  # its children come next
        if unknown:
            raise Damaged("an element of unknown size that must have one")
        if pos + size > len(data):
            raise Truncated("the file ends inside an element")
        body = data[pos : pos + size]
        pos += size
        if ident == TIMECODE_SCALE:
            scale = _uint(body)
        elif ident in (TRACK_NUMBER, TRACK_TYPE, CODEC_ID):
            if not tracks:
                raise Damaged("a track field outside a track entry")
            if ident == TRACK_NUMBER:
                tracks[-1].number = _uint(body)
            elif ident == TRACK_TYPE:
                tracks[-1].kind = _uint(body)
            else:
                tracks[-1].codec = body.rstrip(b"\0").decode("ascii", "replace")
        elif ident == CLUSTER_TIMECODE:
            cluster_time = _uint(body)
        elif ident in (SIMPLE_BLOCK, BLOCK):
            if audio is None:
                audio = _webm_audio_track(tracks)
            number, start, _ = _vint(body, 0, marker=False)
            if number != audio.number:
                continue
            if cluster_time is None or len(body) < start + 3:
                raise Damaged("a block outside a cluster, or without its header")
            previous, last = last, cluster_time + struct.unpack_from(">h", body, start)[0]
            first = last if first is None else min(first, last)
            last_block = body[start + 2 :]
    if first is None or last is None:
        raise Damaged("no audio blocks")
    flags, payload = last_block[0], last_block[1:]
    if flags & 0x06 == 0:  # not laced: one Opus packet, which says how long it plays
        tail = opus_packet_seconds(payload)
    else:  # laced: as long as the gap before it
        tail = (last - previous) * scale / 1e9 if previous is not None else 0.0
    return (last - first) * scale / 1e9 + tail


def _webm_audio_track(tracks: list[_WebmTrack]) -> _WebmTrack:
    """The file's Opus track; a file with video or another codec is not a recording."""
    if any(track.kind == TRACK_VIDEO for track in tracks):
        raise Unsupported("a video")
    audio = [track for track in tracks if track.kind == TRACK_AUDIO]
    if not audio or audio[0].number is None:
        raise Damaged("no audio track")
    if audio[0].codec != "A_OPUS":
        raise Unsupported(f"audio in {audio[0].codec}, not Opus")
    return audio[0]


# --- MP4 ---------------------------------------------------------------------------------


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The boxes between ``start`` and ``end``: (type, body start, box end)."""
    pos = start
    budget = _budget(MAX_BOXES, "boxes")
    while pos < end:
        next(budget)
        if end - pos < 8:
            raise Truncated("the file ends inside a box header")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise Truncated("the file ends inside a box header")
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:  # the last box, to the end
            size = end - pos
        if size < header:
            raise Damaged("a box shorter than its header")
        if pos + size > end:
            raise Truncated("the file ends inside a box")
        yield kind, pos + header, pos + size
        pos += size


def _child(data: bytes, start: int, end: int, *path: bytes) -> tuple[int, int] | None:
    """The body of the first box along ``path`` below (start, end)."""
    for kind in path:
        found = next(((s, e) for k, s, e in _boxes(data, start, end) if k == kind), None)
        if found is None:
            return None
        start, end = found
    return start, end


def _field(data: bytes, fmt: str, pos: int, end: int) -> tuple[int, ...]:
    if pos + struct.calcsize(fmt) > end:
        raise Damaged("a box too short for its fields")
    return struct.unpack_from(fmt, data, pos)


@dataclass(frozen=True)
class Mp4Layout:
    """An MP4 file's audio track, as far as its boxes say."""

    fragmented: bool
    fragment_seconds: float  # the sum of its fragments' samples; 0.0 when not fragmented


def mp4_layout(data: bytes) -> Mp4Layout:
    """Walk an MP4 file's boxes: whole, one sound track and no video; its fragments' length."""
    top = list(_boxes(data, 0, len(data)))
    if not top or top[0][0] != b"ftyp":
        raise Damaged("no ftyp box first")
    moov = next(((s, e) for k, s, e in top if k == b"moov"), None)
    if moov is None:
        raise Damaged("no moov box")
    sound = None
    for kind, start, end in _boxes(data, *moov):
        if kind != b"trak":
            continue
        hdlr = _child(data, start, end, b"mdia", b"hdlr")
        handler = _field(data, ">4x4x4s", hdlr[0], hdlr[1])[0] if hdlr else b""
        if handler == b"vide":
            raise Unsupported("a video")
        if handler == b"soun" and sound is None:
            sound = (start, end)
    if sound is None:
        raise Damaged("no sound track")
    moofs = [(s, e) for k, s, e in top if k == b"moof"]
    if not moofs:
        return Mp4Layout(fragmented=False, fragment_seconds=0.0)
    track_id, timescale = _track_id_and_timescale(data, *sound)
    default = _trex_default_duration(data, *moov, track_id)
    total = sum(_moof_duration(data, s, e, track_id, default) for s, e in moofs)
    return Mp4Layout(fragmented=True, fragment_seconds=total / timescale)


def _track_id_and_timescale(data: bytes, start: int, end: int) -> tuple[int, int]:
    tkhd = _child(data, start, end, b"tkhd")
    mdhd = _child(data, start, end, b"mdia", b"mdhd")
    if tkhd is None or mdhd is None:
        raise Damaged("a track without its header")
    version = data[tkhd[0]] if tkhd[0] < tkhd[1] else 0
    track_id = _field(data, ">20xI" if version == 1 else ">12xI", *tkhd)[0]
    version = data[mdhd[0]] if mdhd[0] < mdhd[1] else 0
    timescale = _field(data, ">20xI" if version == 1 else ">12xI", *mdhd)[0]
    if timescale == 0:
        raise Damaged("a track with no timescale")
    return track_id, timescale


def _trex_default_duration(data: bytes, start: int, end: int, track_id: int) -> int:
    mvex = _child(data, start, end, b"mvex")
    for kind, s, e in _boxes(data, *mvex) if mvex else ():
        if kind == b"trex":
            ident, _index, duration = _field(data, ">4xIII", s, e)
            if ident == track_id:
                return duration
    return 0


def _moof_duration(data: bytes, start: int, end: int, track_id: int, default: int) -> int:
    """The summed sample durations of one fragment's runs of the track."""
    total = 0
    for kind, s, e in _boxes(data, start, end):
        if kind != b"traf":
            continue
        tfhd = _child(data, s, e, b"tfhd")
        if tfhd is None:
            raise Damaged("a track fragment without its header")
        flags, ident = _field(data, ">I I", *tfhd)
        if ident != track_id:
            continue
        flags &= 0xFFFFFF
        offset = tfhd[0] + 8 + (8 if flags & 0x1 else 0) + (4 if flags & 0x2 else 0)
        duration = _field(data, ">I", offset, tfhd[1])[0] if flags & 0x8 else default
        for run_kind, rs, re_ in _boxes(data, s, e):
            if run_kind == b"trun":
                total += _trun_duration(data, rs, re_, duration)
    return total


def _trun_duration(data: bytes, start: int, end: int, default: int) -> int:
    flags, count = _field(data, ">II", start, end)
    flags &= 0xFFFFFF
    pos = start + 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    fields = sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    if pos + count * fields * 4 > end:
        raise Damaged("a track run longer than its box")
    if not flags & 0x100:
        return count * default
    run = data[pos : pos + count * fields * 4]
    return sum(sample[0] for sample in struct.iter_unpack(">" + "I" * fields, run))


# --- WAV and Ogg: whole? -----------------------------------------------------------------


def check_riff(data: bytes) -> None:
    """A WAVE file's chunks, each whole, with a ``data`` chunk among them."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise Damaged("no RIFF WAVE header")
    pos, found = 12, False
    budget = _budget(MAX_CHUNKS, "chunks")
    while pos + 8 <= len(data):
        next(budget)
        kind, size = struct.unpack_from("<4sI", data, pos)
        pos += 8
        if pos + size > len(data):
            raise Truncated(f"the file ends inside its {kind!r} chunk")
        found = found or kind == b"data"
        pos += size + (size & 1)  # chunks are padded to an even length
    if not found:
        raise Truncated("no data chunk")


def check_ogg_pages(data: bytes) -> None:
    """An Ogg file's pages, one after another, the last one whole."""
    pos = 0
    budget = _budget(MAX_ELEMENTS, "pages")
    while pos < len(data):
        next(budget)
        if data[pos : pos + 4] != b"OggS":
            raise Damaged("bytes between Ogg pages")
        if pos + 27 > len(data):
            raise Truncated("the file ends inside a page header")
        segments = data[pos + 26]
        table = data[pos + 27 : pos + 27 + segments]
        if len(table) < segments:
            raise Truncated("the file ends inside a page header")
        pos += 27 + segments + sum(table)
        if pos > len(data):
            raise Truncated("the file ends inside a page")
