#!/usr/bin/env bash
# Install the Debian packages bulletin-pdf needs, when they are missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
#   --build-only   only what building PDFs needs (CI that builds issues: no browser, no node)
#   --list         print the packages that would be checked, one per line, and stop
set -euo pipefail

build_only=false
list=false
for argument in "$@"; do
  case "$argument" in
    --build-only) build_only=true ;;
    --list) list=true ;;
    *) echo "未知选项：$argument（可用：--build-only、--list）" >&2; exit 2 ;;
  esac
done

packages=(
  fontconfig            # fc-list: finds the fonts named in fonts/fonts.yaml
  libpango-1.0-0        # WeasyPrint's text layout
  libpangoft2-1.0-0
  libharfbuzz-subset0   # fast font subsetting (without it WeasyPrint is ~20x slower)
  fonts-noto-cjk        # Noto Serif/Sans CJK SC: stand-ins for 宋体 and 黑体
  fonts-lxgw-wenkai     # LXGW WenKai: stand-in for 楷体
  poppler-utils         # pdftotext, pdffonts, pdftoppm: reading PDFs back in tests
  libgs-common          # default_cmyk.icc: a free CMYK output profile for PDF/X
)
if ! $build_only; then
  packages+=(chromium)  # the preview page of `watch`, tested in a real browser (headless)
  # node and npm: pdf.js for the preview page and the tests (Firefox's PDF engine reading the
  # text layer back); a node from elsewhere (NodeSource, nvm) will do if it is 18 or newer.
  if ! command -v npm >/dev/null 2>&1 \
      || ! node -e 'process.exit(parseInt(process.versions.node) < 18 ? 1 : 0)' 2>/dev/null; then
    packages+=(nodejs npm)
  fi
fi
if $list; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "提示：这不是 Debian/Ubuntu 系统，请自行安装：${packages[*]}" >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  echo "安装系统软件包：${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "缺少系统软件包：${missing[*]}" >&2
  echo "请先运行：sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
