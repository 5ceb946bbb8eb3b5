"""Open every page of the built book in headless Chromium, offline, and check it.

    python tools/check_browser.py [_build/html]        (`make check-browser`)

With the network disabled, each page is loaded at a 1280x800 window, MathJax is
awaited, and the page fails if it
- shows raw TeX delimiters (\\( \\[ $$) in its rendered text (outside code),
- has an image that did not decode (naturalWidth 0),
- logs a JavaScript error or a failed load (anything at level SEVERE, save the
  theme's notice about an unset colour mode),
- has a code cell or output (pre) wider than its column (scrollWidth > clientWidth),
  solution cells opened.
A full-page screenshot of each page goes to _build/screenshots/. It prints the code
column's width in characters of the code font. Exit status 1 on any failure, 2 when
Chromium, chromedriver or selenium is missing (it says how to install them).
"""
import base64
import pathlib
import shutil
import sys

WINDOW = (1280, 800)
# console messages that are notices, not errors (pydata-sphinx-theme on a first visit)
IGNORED_CONSOLE = ("Got invalid theme mode",)

MEASURE = r"""
const done = arguments[arguments.length - 1];
const ready = (window.MathJax && MathJax.startup && MathJax.startup.promise)
  ? MathJax.startup.promise : Promise.resolve();
const hasMath = document.querySelector('.math') !== null;
ready.then(() => document.fonts.ready).then(() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container')
       .forEach(e => e.remove());
  const text = clone.textContent;
  const raw = ['\\(', '\\[', '$$'].filter(d => text.includes(d))
    .map(d => d + ' near: ' + text.slice(Math.max(0, text.indexOf(d) - 40),
                                         text.indexOf(d) + 40).replace(/\s+/g, ' '));
  const badImages = [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
    .map(i => i.getAttribute('src'));
  const pre = document.querySelector('div.cell_input pre');
  let column = null;
  if (pre) {
    const cs = getComputedStyle(pre);
    const probe = document.createElement('span');
    probe.textContent = 'x'.repeat(100);
    probe.style.cssText = 'position:absolute;visibility:hidden;white-space:pre;font:' + cs.font;
    document.body.appendChild(probe);
    const charWidth = probe.getBoundingClientRect().width / 100;
    probe.remove();
    const inner = pre.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    column = {chars: inner / charWidth, px: inner, font: cs.fontSize};
  }
  done({raw, badImages, column, hasMath, mathjax: !!(window.MathJax && MathJax.startup),
        typeset: document.querySelectorAll('mjx-container').length,
        height: Math.ceil(document.documentElement.scrollHeight)});
}).catch(e => done({error: String(e)}));
"""

OVERFLOW = r"""
document.querySelectorAll('details').forEach(d => d.open = true);
const wide = [...document.querySelectorAll('.cell_output')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => `output wider than its column: ${e.scrollWidth}px in ${e.clientWidth}px: ` +
            e.textContent.trim().slice(0, 60));
return wide.concat([...document.querySelectorAll('pre')]
  .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
  .map(p => {
    const lines = p.textContent.split('\n');
    const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
    return `code wider than its column: ${p.scrollWidth}px in ${p.clientWidth}px, longest line ` +
           `${longest.length} chars: ${longest.trim().slice(0, 60)}`;
  }));
"""


def missing(what, how):
    print(f"check-browser: {what} not found. {how}", file=sys.stderr)
    sys.exit(2)


def driver():
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser",
                                               "google-chrome") if shutil.which(n)), None)
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        missing("Chromium or chromedriver",
                "On Debian/Ubuntu: sudo apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("selenium", "It is pinned in requirements.txt: "
                ".venv/bin/pip install -r requirements.txt")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                f"--window-size={WINDOW[0]},{WINDOW[1]}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(chromedriver), options=options)
    d.set_script_timeout(60)
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    return d


def check_page(d, page, html, shots):
    name = page.relative_to(html).as_posix()
    d.get(page.as_uri())
    r = d.execute_async_script(MEASURE)
    problems = []
    if "error" in r:
        problems.append(f"script error while measuring: {r['error']}")
        r = {}
    if r.get("hasMath") and not r.get("typeset"):
        problems.append(f"has math but nothing typeset (MathJax loaded: {r['mathjax']})")
    problems += [f"raw TeX delimiter {x}" for x in r.get("raw", [])]
    problems += [f"image did not decode: {src}" for src in r.get("badImages", [])]
    shot = shots / (name.replace("/", "__").removesuffix(".html") + ".png")
    d.set_window_size(WINDOW[0], WINDOW[1])
    png = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": WINDOW[0], "height": r.get("height", WINDOW[1]),
                 "scale": 1}})
    shot.write_bytes(base64.b64decode(png["data"]))
    problems += d.execute_script(OVERFLOW)
    for entry in d.get_log("browser"):
        if entry["level"] == "SEVERE" and not any(s in entry["message"]
                                                  for s in IGNORED_CONSOLE):
            problems.append(f"console ({entry['source']}): {entry['message'][:200]}")
    return name, r.get("column"), r.get("typeset", 0), problems


def main(argv):
    html = pathlib.Path(argv[1] if len(argv) > 1 else "_build/html").resolve()
    # the theme copies template fragments into _static/: those are not pages
    pages = sorted(p for p in html.rglob("*.html")
                   if p.relative_to(html).parts[0] not in ("_static", "_sources"))
    if not pages:
        print(f"check-browser: no pages under {html}; run `make book` first", file=sys.stderr)
        return 2
    shots = html.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    d = driver()
    failed = 0
    try:
        for page in pages:
            name, column, typeset, problems = check_page(d, page, html, shots)
            col = (f", code column {column['chars']:.1f} chars ({column['px']:.0f} px,"
                   f" {column['font']})" if column else "")
            print(f"{'FAIL' if problems else 'ok  '} {name}: {typeset} formulas{col}")
            for p in problems:
                print(f"     {p}")
            failed += bool(problems)
    finally:
        d.quit()
    print(f"check-browser: {len(pages) - failed}/{len(pages)} pages pass "
          f"(window {WINDOW[0]}x{WINDOW[1]}, offline); screenshots in {shots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
