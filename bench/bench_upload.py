"""Figures for ONE upload through the whole web layer: time and peak memory. Prints numbers;
asserts nothing (issue 11: "peak memory of one upload bounded and measured").

Each case runs in a fresh child process (so one case's memory does not hide another's): the child
builds the app (SQLite, simulators, no virus scanner), walks an API application to 上传材料 and
makes one small warm-up upload, then measures one POST /api/v1/applications/<id>/uploads:
- time: wall clock of that request (median of --n repetitions; the peak figures are of the first);
- RSS peak: ru_maxrss of the child after the request minus before it (Pillow's pixel buffers
  are C memory, seen here only);
- Python peak: tracemalloc's peak during the request (bytes objects: the file read, the JPEG
  written, its ciphertext).

Cases: a phone photo (4000×3000 JPEG, accepted and downscaled), the issue's 6000×6000 PNG bomb
(4.4 KB, refused from its header), a JPEG of just under the per-file limit, a file of 15 MB (over
the per-file limit: refused after reading limit + 1 bytes), and the worst accepted image: a PNG of
nearly max_pixels with an alpha channel (PNG has no reduced-scale decoding, so this is the bound
of one upload's memory). The caps in force are printed first.

    .venv/bin/python bench/bench_upload.py [--n 3]
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "platform", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from PIL import Image  # noqa: E402

MB = 1024 * 1024


def phone_photo() -> bytes:
    base = Image.linear_gradient("L").resize((4000, 3000))
    noise = Image.effect_noise((4000, 3000), 25)
    image = Image.merge("RGB", (base, noise, Image.blend(base, noise, 0.5)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (6000, 6000), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def near_limit(max_bytes: int) -> bytes:
    """A JPEG just under `max_bytes`: noise, its quality stepped down until it fits."""
    noise = Image.merge("RGB", [Image.effect_noise((1900, 1900), 90)] * 3)
    for quality in range(95, 10, -5):
        out = io.BytesIO()
        noise.save(out, "JPEG", quality=quality)
        if len(out.getvalue()) <= max_bytes:
            return out.getvalue()
    raise SystemExit("bench_upload: could not make a JPEG under the limit")


def oversized() -> bytes:
    return b"\xff\xd8\xff\xe0" + b"\0" * (15 * MB)


def worst_png(max_pixels: int) -> bytes:
    side = int(max_pixels ** 0.5) - 1
    out = io.BytesIO()
    Image.new("RGBA", (side, side), (10, 20, 30, 128)).save(out, "PNG")
    return out.getvalue()


CASES = {"phone photo 4000×3000 JPEG": phone_photo, "6000×6000 PNG bomb": bomb,
         "JPEG just under the file limit": near_limit, "15 MB file (over the limit)": oversized,
         "worst accepted: PNG RGBA ≈ max_pixels": worst_png}


def _child(case: str, n: int, queue) -> None:
    from apptools import KEYRING
    from govflow.definitions import load_definitions
    from govflow.web import create_app
    from walkers import ApiWalker

    tmp = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    definitions, _ = load_definitions(ROOT)
    app = create_app({"PROJECT_DIR": ROOT, "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite'}",
                      "SIMULATOR_DATABASE_URL": f"sqlite:///{tmp / 'sim.sqlite'}", "UPLOAD_DIR": tmp / "uploads",
                      "SECRET_KEY": "bench-" + "x" * 32, "DEFINITIONS": definitions, "KEYRING": KEYRING})
    limits = app.extensions["govflow"].env.store.uploads.limits
    maker = CASES[case]
    data = maker(limits.max_bytes) if maker is near_limit else maker(limits.max_pixels) if maker is worst_png \
        else maker()
    api = ApiWalker(app.test_client(), app)
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    api.upload("id_card_emblem")                  # warm-up: imports, first decode, first commit

    def once() -> tuple[str, float]:
        start = time.perf_counter()
        r = api.client.post(f"/api/v1/applications/{api.id}/uploads", headers=api.headers,
                            data={"slot": "id_card_portrait", "file": (io.BytesIO(data), "x.jpg")})
        took = time.perf_counter() - start
        return (str(r.status_code) if r.status_code == 201 else f"{r.status_code} {r.get_json()['errors'][0]['code']}",
                took)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    status, first = once()
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    times = [first] + [once()[1] for _ in range(n - 1)]
    queue.put({"case": case, "size": len(data), "status": status, "ms": statistics.median(times) * 1000,
               "rss_mb": rss_peak / 1024, "py_mb": python_peak / MB,
               "limits": limits, "request_mb": app.config["UPLOAD_REQUEST_MAX_MB"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3, help="repetitions for the time (median)")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    rows = []
    for case in CASES:
        queue = context.Queue()
        child = context.Process(target=_child, args=(case, max(1, args.n), queue))
        child.start()
        rows.append(queue.get(timeout=600))
        child.join(timeout=60)
    limits = rows[0]["limits"]
    print(f"caps: file {limits.max_bytes / MB:g} MB, {limits.max_pixels / 1e6:g} megapixels, longer side "
          f"downscaled to {limits.max_side}, per application {limits.max_files} files / "
          f"{limits.max_total_bytes / MB:g} MB; a request with files {rows[0]['request_mb']:g} MB")
    print(f"{'case':40} {'file':>10} {'answer':>28} {'time ms':>9} {'RSS peak +MB':>13} {'Python peak MB':>15}")
    for r in rows:
        size = f"{r['size'] / 1024:.1f} KB" if r["size"] < MB else f"{r['size'] / MB:.1f} MB"
        print(f"{r['case']:40} {size:>10} {r['status']:>28} {r['ms']:9.1f} {r['rss_mb']:13.1f} {r['py_mb']:15.1f}")


if __name__ == "__main__":
    main()
