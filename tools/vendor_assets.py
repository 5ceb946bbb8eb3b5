"""Fetch the third-party files the built book serves itself into _static/vendor/.

Run once after changing a version below, then commit _static/vendor/:
    python tools/vendor_assets.py
It downloads the packages from the npm registry with `npm pack` (Node's npm must be
installed) and copies only the files the pages load, with each package's licence.
"""
import pathlib
import shutil
import subprocess
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_static" / "vendor"

# package@version -> {destination under _static/vendor: path inside the package}
PACKAGES = {
    # MathJax 3: one file with every TeX extension (so none is loaded at run
    # time) and the fonts of its CommonHTML output (the woff-v2 set), which it
    # finds relative to its own location.
    "mathjax@3.2.2": {
        "mathjax/tex-chtml-full.js": "es5/tex-chtml-full.js",
        "mathjax/output/chtml/fonts/woff-v2": "es5/output/chtml/fonts/woff-v2",
        "mathjax/LICENSE": "LICENSE",
    },
}


def fetch(spec, files, tmp):
    subprocess.run(["npm", "pack", "--silent", "--pack-destination", tmp, spec],
                   check=True, stdout=subprocess.DEVNULL)
    name, version = spec.rsplit("@", 1)
    tgz = pathlib.Path(tmp) / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    unpacked = pathlib.Path(tmp) / tgz.stem
    with tarfile.open(tgz) as tar:
        tar.extractall(unpacked, filter="data")
    for dest, src in files.items():
        source, target = unpacked / "package" / src, VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
        print(f"{spec}: {src} -> _static/vendor/{dest}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in PACKAGES.items():
            fetch(spec, files, tmp)


if __name__ == "__main__":
    main()
