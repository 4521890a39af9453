"""A video file that Chromium plays as its camera: a badge's QR code held still.

Chromium's ``--use-file-for-fake-video-capture`` reads YUV4MPEG2 (Y4M): a
header line, then each frame as ``FRAME`` and its raw Y, Cb and Cr planes, the
colour planes at half the width and height (4:2:0). It loops the file.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from registration.ticket_codes import qr_png

WIDTH, HEIGHT = 640, 480


def badge_picture(secret: str, module_pixels: int = 8) -> Image.Image:
    """The badge's QR code (with its quiet zone), centred on a white camera picture."""
    code = Image.open(io.BytesIO(qr_png(secret, module_pixels))).convert("RGB")
    picture = Image.new("RGB", (WIDTH, HEIGHT), "white")
    picture.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    return picture


def y4m_frame(picture: Image.Image) -> bytes:
    luma, blue, red = picture.convert("YCbCr").split()
    half = (picture.width // 2, picture.height // 2)
    chroma = [plane.resize(half, Image.Resampling.BILINEAR) for plane in (blue, red)]
    return b"FRAME\n" + luma.tobytes() + chroma[0].tobytes() + chroma[1].tobytes()


def write_badge_video(path: Path, secret: str, frames: int = 3) -> Path:
    picture = badge_picture(secret)
    frame = y4m_frame(picture)
    header = f"YUV4MPEG2 W{picture.width} H{picture.height} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path
