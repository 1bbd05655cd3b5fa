"""Recordings made in the tests, in every container the audio store takes.

WAV comes from Python's ``wave`` module.  The others are built here, frame by frame, as
small files: MPEG-1 Layer III frames whose side information is all zeros (silence), an
Ogg Opus stream of one-byte Opus packets (a TOC byte and an empty frame: 20 ms of silence
each, RFC 6716 §3.2.1) in pages mutagen writes with their checksums, an M4A with the box
tree iTunes writes, the fragmented MP4 and the live WebM (unknown sizes, no Duration)
browsers' MediaRecorder writes.  Chromium plays the WAV, MP3, Ogg, WebM and M4A ones
(``test_chromium_plays_each_stored_format_from_the_route_in_ranges``).  Real recordings from
Chromium's MediaRecorder are tested in ``tests/webapp/browser/test_recorder_browser.py``.
"""

from __future__ import annotations

import io
import math
import struct
import wave

from mutagen.ogg import OggPage

# --- WAV ---------------------------------------------------------------------------------


def wav_bytes(seconds: float, rate: int = 8000, width: int = 1, tone: bool = True) -> bytes:
    """Mono PCM at ``rate`` Hz, ``width`` bytes a sample: a 440 Hz tone or silence."""
    frames = int(seconds * rate)
    if tone and width == 2:
        samples = (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames))
        body = b"".join(struct.pack("<h", s) for s in samples)
    elif tone:
        period = bytes(128 + int(60 * math.sin(2 * math.pi * i / 18)) for i in range(18))
        body = (period * (frames // 18 + 1))[:frames]
    else:
        body = bytes([128] * frames) if width == 1 else bytes(frames * width)
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(body)
    return out.getvalue()


# --- MP3 ---------------------------------------------------------------------------------

# MPEG-1 Layer III, no CRC, 128 kbit/s, 44.1 kHz, no padding, mono.
MP3_HEADER = bytes([0xFF, 0xFB, 0x90, 0xC0])
MP3_FRAME_BYTES = 144 * 128_000 // 44_100  # 417
MP3_FRAME_SECONDS = 1152 / 44_100


def mp3_bytes(seconds: float, id3: bool = True) -> bytes:
    """Silent frames, padded by a byte where an encoder pads them (417.96 bytes on average)."""
    plain = MP3_HEADER + bytes(MP3_FRAME_BYTES - len(MP3_HEADER))
    padded = MP3_HEADER[:2] + bytes([MP3_HEADER[2] | 0x02]) + MP3_HEADER[3:] + bytes(len(plain) - 3)
    exact = 144 * 128_000 / 44_100
    frames = b"".join(
        padded if int((i + 1) * exact) - int(i * exact) > MP3_FRAME_BYTES else plain
        for i in range(round(seconds / MP3_FRAME_SECONDS))
    )
    if not id3:
        return frames
    title = b"\x00Mi calle"
    tag_body = b"TIT2" + struct.pack(">I", len(title)) + b"\x00\x00" + title
    size = len(tag_body)
    synchsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x04\x00\x00" + synchsafe + tag_body + frames


# --- Ogg Opus ----------------------------------------------------------------------------

OPUS_SILENCE_20MS = bytes([0xF8])  # CELT fullband 20 ms, mono, one frame of 0 bytes
PRE_SKIP = 312


def ogg_opus_bytes(seconds: float, packets_per_page: int = 50) -> bytes:
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, PRE_SKIP, 48_000, 0, 0)
    vendor = b"bidean tests"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    count = round(seconds / 0.02)
    pages = [_ogg_page([head], 0, 0, first=True), _ogg_page([tags], 0, 1)]
    done = 0
    while done < count:
        batch = min(packets_per_page, count - done)
        done += batch
        page = _ogg_page([OPUS_SILENCE_20MS] * batch, PRE_SKIP + done * 960, len(pages))
        page.last = done == count
        pages.append(page)
    return b"".join(page.write() for page in pages)


def _ogg_page(packets: list[bytes], position: int, sequence: int, first=False) -> OggPage:
    page = OggPage()
    page.packets = packets
    page.position = position
    page.serial = 0x0B1DEA
    page.sequence = sequence
    page.first = first
    return page


# --- MP4 ---------------------------------------------------------------------------------


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", version << 24 | flags), *parts)


MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
# Six bytes standing for an AAC-LC frame: the store reads the boxes, never the frames
# (Chromium plays the file, as tests/webapp/browser/test_recorder_browser.py shows).
AAC_SILENCE = bytes([0x21, 0x10, 0x04, 0x60, 0x8C, 0x1C])


def _esds(config: bytes) -> bytes:
    decoder_specific = bytes([0x05, len(config)]) + config
    decoder = bytes([0x04, 13 + len(decoder_specific), 0x40, 0x15])
    decoder += struct.pack(">3sII", b"\0\0\0", 64_000, 64_000) + decoder_specific
    sl_config = bytes([0x06, 1, 0x02])
    es = bytes([0x03, 3 + len(decoder) + len(sl_config)]) + struct.pack(">HB", 1, 0)
    return full_box(b"esds", 0, 0, es + decoder + sl_config)


def _audio_entry(kind: bytes, rate: int, extra: bytes) -> bytes:
    return box(
        kind,
        bytes(6),
        struct.pack(">H", 1),
        bytes(8),
        struct.pack(">HHHHI", 1, 16, 0, 0, rate << 16),
        extra,
    )


def _trak(
    track_id: int,
    timescale: int,
    duration: int,
    entry: bytes,
    tables: bytes,
    handler: bytes = b"soun",
) -> bytes:
    tkhd = full_box(
        b"tkhd",
        0,
        7,
        struct.pack(">IIIII", 0, 0, track_id, 0, duration),
        bytes(8),
        struct.pack(">hhhH", 0, 0, 0x100, 0),
        MATRIX,
        struct.pack(">II", 0, 0),
    )
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))
    hdlr = full_box(b"hdlr", 0, 0, bytes(4), handler, bytes(12), b"Handler\0")
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))
    stsd = full_box(b"stsd", 0, 0, struct.pack(">I", 1), entry)
    minf = box(b"minf", full_box(b"smhd", 0, 0, bytes(4)), dinf, box(b"stbl", stsd, tables))
    return box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf))


def _mvhd(timescale: int, duration: int) -> bytes:
    return full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIIIIH", 0, 0, timescale, duration, 0x10000, 0x100),
        bytes(10),
        MATRIX,
        bytes(24),
        struct.pack(">I", 3),
    )


def m4a_bytes(seconds: float, rate: int = 44_100, video: bool = False) -> bytes:
    """An iTunes-style M4A: ``ftyp``, ``moov`` with its sample tables, then ``mdat``."""
    count = round(seconds * rate / 1024)
    ftyp = box(b"ftyp", b"M4A ", struct.pack(">I", 0), b"M4A mp42isom")

    def moov(chunk_offset: int) -> bytes:
        tables = b"".join(
            [
                full_box(b"stts", 0, 0, struct.pack(">III", 1, count, 1024)),
                full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, count, 1)),
                full_box(b"stsz", 0, 0, struct.pack(">II", len(AAC_SILENCE), count)),
                full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
            ]
        )
        entry = _audio_entry(b"mp4a", rate, _esds(bytes([0x12, 0x08])))
        traks = _trak(1, rate, count * 1024, entry, tables)
        if video:
            traks += _trak(2, 90_000, round(seconds * 90_000), box(b"avc1"), b"", b"vide")
        return box(b"moov", _mvhd(1000, round(seconds * 1000)), traks)

    head = ftyp + moov(0)
    return ftyp + moov(len(head) + 8) + box(b"mdat", AAC_SILENCE * count)


def fragmented_mp4_bytes(seconds: float, fragments: int = 3, default_durations=False) -> bytes:
    """Opus in fragmented MP4 as Chromium's MediaRecorder writes it: an empty sample table,
    a ``mdhd`` duration in milliseconds (not in its 48 kHz timescale), then fragments.

    With ``default_durations`` the runs list no durations: ``trex`` and ``tfhd`` give them.
    """
    packet, samples = OPUS_SILENCE_20MS, 960
    count = round(seconds / 0.02)
    ms = round(seconds * 1000)
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso6iso2mp41")
    empty = b"".join(
        full_box(kind, 0, 0, struct.pack(">I", 0) * (2 if kind == b"stsz" else 1))
        for kind in (b"stts", b"stsc", b"stsz", b"stco")
    )
    dops = box(b"dOps", struct.pack(">BBHIhB", 0, 1, PRE_SKIP, 48_000, 0, 0))
    trak = _trak(1, 48_000, ms, _audio_entry(b"Opus", 48_000, dops), empty)
    trex = full_box(b"trex", 0, 0, struct.pack(">IIIII", 1, 1, samples, 0, 0))
    out = [ftyp, box(b"moov", _mvhd(1000, ms), trak, box(b"mvex", trex))]
    per_fragment = -(-count // fragments)
    done = 0
    for sequence in range(1, fragments + 1):
        n = min(per_fragment, count - done)
        if n <= 0:
            break
        if default_durations:
            tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", 1))
            trun = full_box(
                b"trun", 0, 0x000201, struct.pack(">Ii", n, 0), struct.pack(">I", 1) * n
            )
        else:
            tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", 1))
            sample = struct.pack(">II", samples, len(packet))
            trun = full_box(b"trun", 0, 0x000301, struct.pack(">Ii", n, 0), sample * n)
        tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", done * samples))
        moof = box(
            b"moof",
            full_box(b"mfhd", 0, 0, struct.pack(">I", sequence)),
            box(b"traf", tfhd, tfdt, trun),
        )
        out += [moof, box(b"mdat", packet * n)]
        done += n
    return b"".join(out)


# --- WebM --------------------------------------------------------------------------------

UNKNOWN_SIZE = bytes([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])


def _size(n: int) -> bytes:
    return (
        bytes([0x10]) + n.to_bytes(3, "big")
        if n < 0x0FFFFFFF
        else bytes([0x01]) + n.to_bytes(7, "big")
    )


def element(ident: int, body: bytes) -> bytes:
    return ident.to_bytes((ident.bit_length() + 7) // 8, "big") + _size(len(body)) + body


def _uint(ident: int, value: int) -> bytes:
    return element(ident, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def webm_bytes(
    seconds: float,
    *,
    codec: str = "A_OPUS",
    video: bool = False,
    laced: bool = False,
    cluster_seconds: float = 1.0,
    doc_type: str = "webm",
) -> bytes:
    """A live WebM as MediaRecorder writes it: Segment and Clusters of unknown size, no
    Duration, 20 ms Opus packets in SimpleBlocks (or laced three to a block)."""
    header = element(0x1A45DFA3, element(0x4282, doc_type.encode()) + _uint(0x4287, 4))
    info = element(0x1549A966, _uint(0x2AD7B1, 1_000_000) + element(0x4D80, b"bidean"))
    entries = element(0xAE, _uint(0xD7, 1) + _uint(0x83, 2) + element(0x86, codec.encode()))
    if video:
        entries += element(0xAE, _uint(0xD7, 2) + _uint(0x83, 1) + element(0x86, b"V_VP8"))
    parts = [header, bytes.fromhex("18538067") + UNKNOWN_SIZE, info, element(0x1654AE6B, entries)]
    count = round(seconds / 0.02)
    per_block = 3 if laced else 1
    cluster_start = None
    for i in range(0, count, per_block):
        ms = i * 20
        if cluster_start is None or ms - cluster_start >= cluster_seconds * 1000:
            cluster_start = ms
            parts.append(bytes.fromhex("1F43B675") + UNKNOWN_SIZE + _uint(0xE7, ms))
        frames = min(per_block, count - i)
        if laced:  # Xiph lacing: the count less one, then each frame's size but the last
            body = bytes([0x81]) + struct.pack(">hB", ms - cluster_start, 0x82)
            body += bytes([frames - 1]) + bytes([1] * (frames - 1)) + OPUS_SILENCE_20MS * frames
        else:
            body = bytes([0x81]) + struct.pack(">hB", ms - cluster_start, 0x80) + OPUS_SILENCE_20MS
        parts.append(element(0xA3, body))
    return b"".join(parts)
