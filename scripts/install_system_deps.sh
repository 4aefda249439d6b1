#!/usr/bin/env bash
# The programs pip cannot install, checked (and installed when we can) before `make` builds .venv:
#   - Python's venv module (Debian/Ubuntu split it into the python3-venv package)  required
#   - graphviz's `dot`, which renders the autograd graphs                              required
#   - Chromium, for the browser tests                                   optional: those tests skip
#   - a CJK font (Debian's fonts-noto-cjk), for Chinese text in Chromium, the PDFs and matplotlib
#     figures                                                  optional: without it, empty boxes
#   - poppler's pdftoppm, with which the handout test looks for blank pages    optional: it skips
# As root on Debian/Ubuntu this runs `apt-get update` once and `apt-get install -y` what is missing;
# otherwise it says which command to run. When everything is present it does nothing (milliseconds).
set -euo pipefail

PYTHON="${PYTHON:-python3}"

have() { command -v "$1" >/dev/null 2>&1; }
have_venv() { "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; }
have_chromium() { have chromium || have chromium-browser || have google-chrome || have google-chrome-stable; }
# fontconfig's list (what Chromium uses) when there is one, else Debian's file of Noto Sans CJK.
have_cjk_font() {
    if have fc-list; then [ -n "$(fc-list :lang=zh family)" ]; else [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; fi
}

if ! have "$PYTHON"; then
    echo "error: $PYTHON not found. Install Python 3.11 or newer, or run: make PYTHON=/path/to/python3.11 ..." >&2
    exit 1
fi

missing=()
have_venv || missing+=(python3-venv)
have dot || missing+=(graphviz)
have_chromium || missing+=(chromium)
have_cjk_font || missing+=(fonts-noto-cjk)
have pdftoppm || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && have apt-get; then
    export DEBIAN_FRONTEND=noninteractive
    echo "Installing with apt-get: ${missing[*]}"
    apt-get update -qq
    for pkg in "${missing[@]}"; do
        # Chromium is optional, and Ubuntu names it chromium-browser (a snap that may not install
        # in a container): a failure here is only a warning, the browser tests will skip.
        if [ "$pkg" = chromium ]; then
            apt-get install -y -qq chromium || apt-get install -y -qq chromium-browser || true
        elif [ "$pkg" = fonts-noto-cjk ] || [ "$pkg" = poppler-utils ]; then
            apt-get install -y -qq "$pkg" || true    # optional, like Chromium
        else
            apt-get install -y -qq "$pkg"
        fi
    done
fi

status=0
if ! have_venv; then
    cat >&2 <<EOF
error: $PYTHON has no venv module, so make cannot create .venv. Install it with
    sudo apt-get install python3-venv        # Debian/Ubuntu
or use a Python that has it: make PYTHON=/path/to/python3.11 ...
EOF
    status=1
fi
if ! have dot; then
    cat >&2 <<'EOF'
error: graphviz's `dot` program is missing; the notebooks draw autograd graphs with it and the tests
check those drawings. Install it with one of
    sudo apt-get install graphviz               # Debian/Ubuntu
    brew install graphviz                       # macOS
    conda install -c conda-forge graphviz       # conda
then run make again.
EOF
    status=1
fi
if ! have_chromium; then
    cat >&2 <<'EOF'
note: Chromium not found, so the browser tests will be skipped. To run them install it with
    sudo apt-get install chromium    # Debian (Ubuntu: chromium-browser)
    brew install --cask chromium     # macOS
EOF
fi
if ! have_cjk_font; then
    cat >&2 <<'EOF'
note: no CJK font found, so Chinese text (the zh notebooks, slides and figures) shows as empty boxes.
Install Noto Sans CJK with
    sudo apt-get install fonts-noto-cjk                # Debian/Ubuntu
    brew install --cask font-noto-sans-cjk-sc          # macOS (or use its own PingFang SC)
EOF
fi
exit $status
