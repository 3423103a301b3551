"""A page as a person sees it: Debian's headless Chromium loads it, measures it, screenshots it.

No browser driver: one Chromium run dumps the laid-out page's chart boxes (a probe copy of the page
with a measuring script), another takes the screenshot with a NetLog of every request it made.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    # Chromium's own background requests (time, update, account checks) never leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
WIDTH = 1280

_PROBE = """<script>
const boxes = [...document.querySelectorAll('[data-chart]')].map(figure => {
  const svg = figure.querySelector('svg'); const r = (svg || figure).getBoundingClientRect();
  return {name: figure.dataset.chart, x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height};
});
const probe = document.createElement('pre'); probe.id = 'bfd-probe';
probe.textContent = JSON.stringify({height: document.documentElement.scrollHeight, boxes});
document.body.appendChild(probe);
</script>"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class Box:
    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class RenderedPage:
    screenshot: Path
    boxes: tuple[Box, ...]
    height: int
    page_requests: tuple[str, ...]
    """Every URL the page asked the network for (its own file excluded: it is not a network request)."""


def _run(browser: str, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = work / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def render(page: Path, work: Path) -> RenderedPage:
    """Lay out `page` at 1280 px wide, take a full-height screenshot, record its requests."""
    browser = chromium()
    assert browser is not None, "chromium is not installed"
    probe = work / "probe.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8"
    )
    dumped = _run(browser, work, f"--window-size={WIDTH},1000", "--dump-dom", probe.as_uri()).stdout
    start = dumped.index('<pre id="bfd-probe">') + len('<pre id="bfd-probe">')
    measured = json.loads(
        dumped[start : dumped.index("</pre>", start)].replace("&quot;", '"').replace("&amp;", "&")
    )
    height = int(measured["height"])
    screenshot = work / "screenshot.png"
    netlog = work / "netlog.json"
    _run(
        browser,
        work,
        f"--window-size={WIDTH},{height}",
        f"--screenshot={screenshot}",
        f"--log-net-log={netlog}",
        "--net-log-capture-mode=Everything",
        page.as_uri(),
    )
    return RenderedPage(
        screenshot=screenshot,
        boxes=tuple(Box(**box) for box in measured["boxes"]),
        height=height,
        page_requests=tuple(_page_requests(netlog)),
    )


def _page_requests(netlog: Path) -> list[str]:
    """URLs of the network requests started for a file:// page: those whose network isolation key is
    the file:// site. Chromium's own background requests carry other keys."""
    text = netlog.read_text(encoding="utf-8").rstrip().rstrip(",")
    if not text.endswith("}"):
        text += "]}"  # a NetLog cut short by the browser's exit lacks its closing brackets
    log = json.loads(text)
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        if event.get("type") == start_job and str(params.get("network_isolation_key", "")).startswith(
            "file://"
        ):
            urls.append(str(params.get("url")))
    return urls


def ink(screenshot: Path, box: Box) -> tuple[int, int]:
    """(pixels that are not white, pixels in colour) inside `box` of the screenshot: axes and text
    are grey, the drawn series are coloured."""
    from PIL import Image  # the test extra's

    with Image.open(screenshot) as image:
        crop = image.convert("RGB").crop(
            (int(box.x), int(box.y), int(box.x + box.width), int(box.y + box.height))
        )
        data = crop.tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3], strict=True))
    not_white = sum(1 for r, g, b in pixels if min(r, g, b) < 235)
    coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60)
    return not_white, coloured
