"""Headless Chromium helpers: open a page offline, collect console messages and every resource it fetched,
take a screenshot and read its pixels (PNG decoded here: no imaging library needed)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--log-level=0", "--virtual-time-budget=6000",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # any request to a host fails (and shows as a console error)
]
# appended to a copy of the page: the resources the page fetched, written into the DOM when it has settled
_PROBE = ('<script>window.addEventListener("load",function(){setTimeout(function(){'
          'document.documentElement.setAttribute("data-resources",JSON.stringify(performance.getEntriesByType('
          '"resource").map(function(e){return e.name;})));},1000);});</script>')


def open_page(page: Path, work: Path, *, size: str = "1200,1000") -> tuple[str, list[str], np.ndarray]:
    """(DOM after scripts ran, console lines, screenshot as an (h, w, 3) uint8 array) of ``page``."""
    work.mkdir(parents=True, exist_ok=True)
    probed = work / f"probed-{page.name}"
    html = page.read_text(encoding="utf-8")
    probed.write_text(html.replace("</body>", _PROBE + "</body>") if "</body>" in html else html + _PROBE,
                      encoding="utf-8")
    args = [str(CHROMIUM), *FLAGS, f"--window-size={size}"]
    dump = subprocess.run([*args, f"--user-data-dir={work / 'profile-dom'}", "--dump-dom", probed.resolve().as_uri()],
                          capture_output=True, text=True, timeout=180, check=False)
    shot = work / f"{page.stem}.png"
    snap = subprocess.run([*args, f"--user-data-dir={work / 'profile-shot'}", f"--screenshot={shot}",
                           page.resolve().as_uri()], capture_output=True, text=True, timeout=180, check=False)
    console = [line for line in (dump.stderr + snap.stderr).splitlines() if ":CONSOLE" in line]
    return dump.stdout, console, read_png(shot)


def resources(dom: str) -> list[str]:
    """The resources the probed page fetched (from the ``data-resources`` attribute)."""
    import html
    import json
    import re

    found = re.search(r'data-resources="([^"]*)"', dom)
    assert found is not None, "the probe did not run"
    return list(json.loads(html.unescape(found.group(1))))


def read_png(path: Path) -> np.ndarray:
    """An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) as an (h, w, 3) array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG layout"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows = np.zeros((height, stride), dtype=np.int32)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        if kind == 0:
            out = line
        elif kind == 2:
            out = (line + previous) & 0xFF
        else:  # Sub, Average, Paeth depend on the left neighbour: byte by byte
            out = np.zeros(stride, dtype=np.int32)
            for i in range(stride):
                left = out[i - channels] if i >= channels else 0
                up = previous[i]
                if kind == 1:
                    out[i] = (line[i] + left) & 0xFF
                elif kind == 3:
                    out[i] = (line[i] + (left + up) // 2) & 0xFF
                else:
                    corner = previous[i - channels] if i >= channels else 0
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                    out[i] = (line[i] + pred) & 0xFF
        rows[y] = out
        previous = out
    return rows.reshape(height, width, channels)[:, :, :3].astype(np.uint8)


def colour_share(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 3) -> float:
    """Share of pixels within ``tolerance`` of ``rgb`` on every channel."""
    close = np.all(np.abs(image.astype(int) - np.array(rgb)) <= tolerance, axis=2)
    return float(close.mean())
