"""Write the placeholder photos of the sample issue (and one low-resolution test photo).

The printed bulletin's photos are not available, so the sample issue uses honest placeholders:
a smooth two-colour diagonal gradient, a thin lighter frame, the big label 「照片」, the caption,
and a corner note "示意照片 · 原刊照片缺失" so that nobody mistakes one for a real photo.

The output is deterministic: running the script twice writes the same bytes (no randomness, no
timestamps). The bytes do depend on the Pillow/FreeType build and on the font file, so `--check`
is only meaningful with the same tool versions that wrote the files.

    .venv/bin/python scripts/make_sample_photos.py           # write (only files that changed)
    .venv/bin/python scripts/make_sample_photos.py --check   # exit 1 if a file is missing or differs
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_INDEX = 2  # the SC (Simplified Chinese) face of the collection

ARTICLES = "issues/2025-001/articles/images"
GALLERY = "issues/2025-001/gallery"
LAND = (3000, 2000)
PORT = (2000, 3000)

# Every photo the script writes: output path (relative to the project), size (w, h), caption.
# Article photos are named <article-file-stem>-<n>.jpg, in the order they appear in the article.
PHOTOS: list[tuple[str, tuple[int, int], str]] = [
    # 简讯
    (f"{ARTICLES}/jianxun-01-kaiban-1.jpg", LAND, "开班式现场"),
    (f"{ARTICLES}/jianxun-01-kaiban-2.jpg", LAND, "刘凤强作开班讲话"),
    (f"{ARTICLES}/jianxun-02-zuotanhui-1.jpg", LAND, "骨干学员座谈会"),
    (f"{ARTICLES}/jianxun-02-zuotanhui-2.jpg", LAND, "刘凤强出席座谈会并讲话"),
    (f"{ARTICLES}/jianxun-03-xiaozu-taolun-1.jpg", LAND, "第一单元小组讨论现场"),
    (f"{ARTICLES}/jianxun-04-kunshan-1.jpg", LAND, "学员参观“与时俱进的昆山之路”成果展"),
    (f"{ARTICLES}/jianxun-04-kunshan-2.jpg", LAND, "学员参观中科院安全可控信息技术产业化基地"),
    (f"{ARTICLES}/jianxun-04-kunshan-3.jpg", LAND, "学员在苏州清越光电参观学习"),
    (f"{ARTICLES}/jianxun-04-kunshan-4.jpg", LAND, "学员参观周市镇便民服务中心"),
    (f"{ARTICLES}/jianxun-04-kunshan-5.jpg", LAND, "学员参观陆家未来农业示范园"),
    # 学习动态
    (f"{ARTICLES}/dongtai-01-deepseek-1.jpg", LAND, "体验式教学：DeepSeek赋能办公提效与内容生成"),
    (f"{ARTICLES}/dongtai-01-deepseek-2.jpg", LAND, "曹督军带领学员进行AI工具实操演练"),
    (f"{ARTICLES}/dongtai-01-deepseek-3.jpg", LAND, "学员模拟实际工作场景体验AI辅助工具"),
    (f"{ARTICLES}/dongtai-02-diaoyan-1.jpg", LAND, "学员深入基层一线开展专题调研"),
    (f"{ARTICLES}/dongtai-02-diaoyan-2.jpg", LAND, "第一小组实地考察泗泾镇“六极星通孵化器”"),
    (f"{ARTICLES}/dongtai-02-diaoyan-3.jpg", LAND, "第二小组赴上海松江站开展调研"),
    (f"{ARTICLES}/dongtai-02-diaoyan-4.jpg", LAND, "第二小组与相关部门座谈交流"),
    (f"{ARTICLES}/dongtai-02-diaoyan-5.jpg", LAND, "第四小组在石湖荡镇浦江之首调研"),
    (f"{ARTICLES}/dongtai-03-modena-1.jpg", PORT, "学员分组开展结构化讨论"),
    (f"{ARTICLES}/dongtai-04-huawei-1.jpg", LAND, "学员赴华为练秋湖研发中心考察学习"),
    (f"{ARTICLES}/dongtai-04-huawei-2.jpg", LAND, "学员在研发中心实地感受“科技绿洲”"),
    # 学习掠影 (listed in issue.yaml in this order)
    (f"{GALLERY}/01-kaiban.jpg", LAND, "开班式现场"),
    (f"{GALLERY}/02-zuotanhui.jpg", LAND, "骨干学员座谈会"),
    (f"{GALLERY}/03-xiaozu-taolun.jpg", PORT, "第一单元小组讨论"),
    (f"{GALLERY}/04-deepseek.jpg", LAND, "体验式教学：DeepSeek赋能办公提效"),
    (f"{GALLERY}/05-diaoyan-weiben.jpg", LAND, "第三小组在伟本智能开展调研"),
    (f"{GALLERY}/06-diaoyan-pujiang.jpg", PORT, "第四小组踏勘浦江之首"),
    (f"{GALLERY}/07-modena.jpg", LAND, "案例教学：“莫德纳”速度何以可能？"),
    (f"{GALLERY}/08-kunshan-chengguozhan.jpg", LAND, "学员参观“与时俱进的昆山之路”成果展"),
    (f"{GALLERY}/09-kunshan-nongye.jpg", LAND, "学员参观陆家未来农业示范园"),
    (f"{GALLERY}/10-huawei.jpg", LAND, "华为练秋湖研发中心考察学习"),
]

# For the tests only (print preflight must reject it); not used by the sample issue.
LOW_RES = ("tests/data/low-res.jpg", (640, 427), "低分辨率测试照片", (72, 72))

# Muted, photo-like colour pairs (start, end of the diagonal gradient), used in turn.
PALETTE: list[tuple[tuple[int, int, int], tuple[int, int, int]]] = [
    ((86, 104, 122), (168, 150, 124)),  # slate blue → sand
    ((92, 112, 88), (176, 168, 132)),  # moss → straw
    ((120, 92, 84), (190, 162, 138)),  # brick → beige
    ((74, 98, 110), (140, 164, 160)),  # teal grey → sage
    ((110, 100, 124), (182, 160, 150)),  # dusk violet → rose beige
    ((96, 90, 76), (164, 156, 136)),  # umber → stone
    ((70, 88, 104), (128, 140, 150)),  # steel → overcast
    ((128, 108, 80), (196, 178, 146)),  # ochre → cream
    ((84, 104, 100), (156, 140, 120)),  # pine → khaki
    ((104, 84, 92), (170, 150, 160)),  # plum → mauve
    ((90, 110, 130), (190, 176, 150)),  # lake → dune
]

JPEG_OPTIONS = {"quality": 82, "optimize": True, "progressive": False}
PRINT_DPI = (300, 300)
NOTE = "示意照片 · 原刊照片缺失"
LABEL = "照片"
TEXT = (250, 248, 242)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size, index=FONT_INDEX)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _gradient(size: tuple[int, int], start: tuple[int, int, int],
              end: tuple[int, int, int]) -> Image.Image:
    """A smooth diagonal gradient from `start` (top right) to `end` (bottom left).

    The light end is away from the corner note (bottom right), which stays on a mid tone.
    """
    ramp = Image.linear_gradient("L")  # 256×256, black at the top, white at the bottom
    # Rotated clockwise: black at the right, white at the left.
    down = ramp.resize(size, Image.Resampling.BILINEAR)
    across = ramp.transpose(Image.Transpose.ROTATE_270).resize(size, Image.Resampling.BILINEAR)
    mask = ImageChops.add(down, across, scale=2.0)
    return Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont,
          width: float) -> list[str]:
    """`text` broken into lines no wider than `width` (Chinese: any character may start a line)."""
    lines, line = [], ""
    for char in text:
        if line and draw.textlength(line + char, font=font) > width:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def _shadowed(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str,
              font: ImageFont.FreeTypeFont, anchor: str, shadow: tuple[int, int, int],
              offset: int) -> None:
    draw.text((xy[0] + offset, xy[1] + offset), text, font=font, fill=shadow, anchor=anchor)
    draw.text(xy, text, font=font, fill=TEXT, anchor=anchor)


def render(size: tuple[int, int], caption: str, colours: tuple[tuple[int, int, int], ...],
           dpi: tuple[int, int] = PRINT_DPI) -> bytes:
    """The JPEG bytes of one placeholder photo."""
    width, height = size
    start, end = colours
    image = _gradient(size, start, end)
    draw = ImageDraw.Draw(image)
    unit = min(width, height)

    # A thin frame, lighter than the picture, a little inside the edge.
    inset, line = round(unit * 0.03), max(1, round(unit * 0.004))
    frame = _mix(_mix(start, end, 0.5), (255, 255, 255), 0.55)
    draw.rectangle((inset, inset, width - 1 - inset, height - 1 - inset), outline=frame, width=line)

    shadow = _mix(start, (0, 0, 0), 0.45)
    offset = max(1, round(unit * 0.003))
    label_font, caption_font = _font(round(unit * 0.22)), _font(round(unit * 0.055))
    lines = _wrap(draw, caption, caption_font, width * 0.8)
    label_height = unit * 0.22
    line_height = unit * 0.055 * 1.45
    gap = unit * 0.06
    top = (height - (label_height + gap + line_height * len(lines))) / 2
    _shadowed(draw, (width / 2, top + label_height / 2), LABEL, label_font, "mm", shadow, offset * 2)
    for number, text in enumerate(lines):
        y = top + label_height + gap + line_height * (number + 0.5)
        _shadowed(draw, (width / 2, y), text, caption_font, "mm", shadow, offset)

    # The honest note, bottom right inside the frame.
    margin = inset + line + round(unit * 0.025)
    _shadowed(draw, (width - margin, height - margin), NOTE, _font(round(unit * 0.032)), "rs",
              shadow, offset)

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", dpi=dpi, **JPEG_OPTIONS)
    return buffer.getvalue()


def outputs() -> list[tuple[Path, bytes]]:
    """Every file the script writes, with its bytes."""
    files = []
    for number, (path, size, caption) in enumerate(PHOTOS):
        files.append((ROOT / path, render(size, caption, PALETTE[number % len(PALETTE)])))
    path, size, caption, dpi = LOW_RES
    files.append((ROOT / path, render(size, caption, PALETTE[len(PHOTOS) % len(PALETTE)], dpi)))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file is missing or differs")
    args = parser.parse_args(argv)
    if not FONT_PATH.is_file():
        print(f"缺少字体 {FONT_PATH}（Debian 软件包 fonts-noto-cjk）", file=sys.stderr)
        return 2
    stale, total = [], 0
    for path, data in outputs():
        total += len(data)
        current = path.read_bytes() if path.is_file() else None
        if current == data:
            continue
        name = path.relative_to(ROOT).as_posix()
        if args.check:
            stale.append(f"{name}: {'缺失' if current is None else '与生成结果不同'}")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"写出 {name}（{len(data) // 1024} KB）")
    if stale:
        print("示意照片需要重新生成（scripts/make_sample_photos.py）：", file=sys.stderr)
        for line in stale:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"共 {len(PHOTOS) + 1} 个文件，{total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
