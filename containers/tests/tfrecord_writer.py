"""A minimal TFRecord / Event writer (standard library only), and a trainer that logs through
SummaryWriter's file format only:

    python tfrecord_writer.py STEPS [LOGDIR]

writes scalars ``loss`` = 1/(step+1) and ``val/dice`` = step/STEPS for steps 0..STEPS-1 into
``LOGDIR`` (default: ``$TRACKGATE_TENSORBOARD_DIR``) as PyTorch's SummaryWriter would (a file
version record, then one record per event, flushed as it goes), and never calls the gateway.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import time


_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _TABLE.append(_c)


def masked_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, wire: int, payload: bytes) -> bytes:
    return _varint((num << 3) | wire) + payload


def scalar_event(wall_time: float, step: int, tag: str, value: float) -> bytes:
    """Event{wall_time=1, step=2, summary=5{value=1{tag=1, simple_value=2}}}."""
    tag_b = tag.encode("utf-8")
    val = _field(1, 2, _varint(len(tag_b)) + tag_b) + _field(2, 5, struct.pack("<f", value))
    summary = _field(1, 2, _varint(len(val)) + val)
    return (_field(1, 1, struct.pack("<d", wall_time)) + _field(2, 0, _varint(step))
            + _field(5, 2, _varint(len(summary)) + summary))


def frame(payload: bytes) -> bytes:
    length = struct.pack("<Q", len(payload))
    return length + struct.pack("<I", masked_crc32c(length)) + payload + struct.pack("<I", masked_crc32c(payload))


def file_version(wall_time: float) -> bytes:
    """Event{wall_time=1, file_version=3 "brain.Event:2"}."""
    v = b"brain.Event:2"
    return _field(1, 1, struct.pack("<d", wall_time)) + _field(3, 2, _varint(len(v)) + v)


def main(argv: list) -> int:
    steps = int(argv[0])
    logdir = argv[1] if len(argv) > 1 else os.environ["TRACKGATE_TENSORBOARD_DIR"]
    os.makedirs(logdir, exist_ok=True)
    now = time.time()
    name = "events.out.tfevents.%d.%s.%d.0" % (int(now), socket.gethostname(), os.getpid())
    with open(os.path.join(logdir, name), "ab") as f:
        f.write(frame(file_version(now)))
        for step in range(steps):
            f.write(frame(scalar_event(time.time(), step, "loss", 1.0 / (step + 1))))
            f.write(frame(scalar_event(time.time(), step, "val/dice", step / steps)))
            f.flush()
            time.sleep(0.01)
    print("wrote %d steps to %s" % (steps, logdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
