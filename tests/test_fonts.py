"""Font roles: resolution, swapping in a licensed font through fonts/, and clear failures."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from conftest import MINIMAL_MANIFEST
from fontTools import subset
from fontTools.ttLib import TTFont
from pdfread import fonts, read_pages, squash
from PIL import Image

from bulletin_pdf.cli import main
from bulletin_pdf.errors import BulletinError
from bulletin_pdf.fonts import face_advances, face_codes, load_fonts

WENKAI = Path("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf")
TITLES = "第一篇文章第二篇文章测试简报"


def make_font(path: Path, family: str, text: str) -> Path:
    """A real font under a new family name: LXGW WenKai cut down to `text`."""
    font = TTFont(WENKAI)
    subsetter = subset.Subsetter()
    subsetter.populate(text=text)
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = family.replace(" ", "")
    font.save(path)
    return path


def replace_role(project, role: str, candidates: str) -> None:
    """Rewrite one role's candidate list in the project's fonts.yaml."""
    path = project.root / "fonts" / "fonts.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"  {role}:")
    fonts_at = next(i for i in range(start, len(lines)) if lines[i].strip() == "fonts:")
    end = next((i for i in range(fonts_at + 1, len(lines)) if not lines[i].strip()), len(lines))
    lines[fonts_at + 1:end] = candidates.rstrip("\n").splitlines()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_default_roles_resolve_to_the_free_stand_ins():
    font_set = load_fonts(Path(__file__).parent.parent / "fonts")
    assert font_set.roles["body"].families == ("Noto Serif CJK SC",)
    assert font_set.roles["heading"].families == ("Noto Sans CJK SC",)
    assert font_set.roles["title"].families == ("Noto Serif CJK SC",)
    assert font_set.roles["title"].weight == 700
    assert font_set.roles["kai"].families == ("LXGW WenKai",)
    # No 仿宋 installed: the optional role falls back to the body font.
    assert font_set.roles["fangsong"].families == font_set.roles["body"].families


def test_a_font_file_dropped_into_fonts_is_used_by_file_name(project):
    make_font(project.root / "fonts" / "FZXBSJW.ttf", "Test Xiaobiaosong", TITLES)
    replace_role(project, "title", "      - file: FZXBSJW.ttf\n")
    assert project.build() == 0
    families = {font.family for font in fonts(project.pdf)}
    assert "Test Xiaobiaosong" in families
    # The titles are set in it: the file covers exactly those characters.
    assert squash("第一篇文章") in squash(read_pages(project.pdf)[2].large)


def test_a_font_file_dropped_into_fonts_is_found_by_family_name(project):
    make_font(project.root / "fonts" / "kai.ttf", "Test Kai", "（）文图/张炜李四王五赵六")
    replace_role(project, "kai", "      - family: Test Kai\n      - family: LXGW WenKai\n")
    font_set = load_fonts(project.root / "fonts")
    assert font_set.roles["kai"].families == ("Test Kai", "LXGW WenKai")
    assert [face.family for face in font_set.faces] == ["Test Kai"]
    assert project.build() == 0
    assert "Test Kai" in {font.family for font in fonts(project.pdf)}


def test_missing_font_for_a_required_role_names_role_and_install(project, capsys):
    replace_role(project, "kai", "      - family: 楷体_GB2312\n"
                                 "      - family: No Such Kai\n        install: apt-get install no-such\n")
    assert project.build() == 2
    error = capsys.readouterr().err
    assert "fonts/fonts.yaml" in error and "roles.kai" in error
    assert "字体角色 “kai”（署名、副标题、二级小标题（楷体））找不到可用字体" in error
    assert "No Such Kai（安装：apt-get install no-such）" in error
    assert not project.pdf.exists()


def test_role_needed_by_the_layout_but_not_configured(project, capsys):
    path = project.root / "fonts" / "fonts.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("  fangsong:")], encoding="utf-8")
    assert project.build() == 2
    assert "roles.fangsong：版式 “bulletin” 需要字体角色 “fangsong”，但字体配置中没有" \
        in capsys.readouterr().err


@pytest.mark.parametrize(("candidates", "message"), [
    ("      - family: Noto Serif CJK SC\n        wieght: 700\n", "未知的键 “wieght”，是否想写 “weight”？"),
    ("      - family: Noto Serif CJK SC\n        weight: bold\n", "字重应为 100–900 的整百数"),
    ("      - family: Noto Serif CJK SC\n        file: x.ttf\n", "每个候选字体须写 family 或 file 之一"),
    ("      - file: NotoSerifCJK-Regular.ttc\n", "须为 .ttf 或 .otf 文件"),
])
def test_bad_font_configuration(project, candidates, message):
    replace_role(project, "body", candidates)
    with pytest.raises(BulletinError) as error:
        load_fonts(project.root / "fonts")
    assert any(message in str(problem) and "roles.body.fonts[0]" in str(problem)
               for problem in error.value.problems), error.value


def test_characters_missing_from_a_role_font_are_reported_before_layout(project, capsys):
    """A GB2312-only licensed font lacks rare name characters: caught with file, line, column."""
    text = "第二篇文章的正文一段张炜王五赵六。"
    make_font(project.root / "fonts" / "song.ttf", "Test Song GB2312", text + "测试简报")
    replace_role(project, "body", "      - file: song.ttf\n")
    project.write("articles/b.md", "---\ntitle: 第二篇文章\nauthors: [王五, 李堃]\n---\n\n"
                                   "第二篇的正文：张堃与王𠮷。\n")
    assert project.build() == 2
    error = capsys.readouterr().err
    assert "articles/b.md:6：第 9 列的字符 “堃”（U+5803）不在正文（宋体）字体 Test Song GB2312 中" in error
    assert "articles/b.md:6：第 12 列的字符 “𠮷”（U+20BB7）" in error
    # Front matter too, in the role that prints it: names are set in 楷体, which has 堃.
    assert "articles/b.md:3" not in error
    assert not project.pdf.exists()


def project_characters(project, *extra: str) -> str:
    """Every character of the throw-away project's files: a font covering all its text."""
    text = "".join(path.read_text(encoding="utf-8") for path in project.issue.rglob("*")
                   if path.suffix in (".md", ".yaml"))
    return "".join(sorted(set(text + "".join(extra)))) + "（）、/·"


def test_coverage_checks_the_text_as_printed_after_normalisation(project, capsys):
    """`--` prints as `——`: a font with the hyphen but no dash fails, at the `--`."""
    project.write("articles/b.md", "---\ntitle: 第二篇文章\nauthors: [王五]\n---\n\n"
                                   "正文--破折号，\"引号\"。\n")
    font_text = project_characters(project).replace("—", "").replace("“", "").replace("”", "")
    make_font(project.root / "fonts" / "song.ttf", "Test Song", font_text)
    replace_role(project, "body", "      - file: song.ttf\n")
    assert project.build() == 2
    error = capsys.readouterr().err
    assert "articles/b.md:6：第 3 列的字符 “—”（U+2014）不在正文（宋体）字体 Test Song 中" in error
    assert "articles/b.md:6：第 9 列的字符 ““”（U+201C）" in error
    assert "articles/b.md:6：第 12 列的字符 “””（U+201D）" in error
    assert "“-”" not in error and "“\"”" not in error  # what the source has is not printed


def test_every_missing_character_is_reported_at_once_with_its_other_places(project, capsys):
    project.write("articles/b.md", "---\ntitle: 第二篇文章\n---\n\n张堃与王𠮷。\n\n又见张堃，再见张堃。\n")
    project.write("articles/c.md", "---\nauthors: [赵六]\n---\n\n龘。\n")
    font_text = project_characters(project).replace("堃", "").replace("𠮷", "").replace("龘", "")
    make_font(project.root / "fonts" / "song.ttf", "Test Song", font_text)
    replace_role(project, "body", "      - file: song.ttf\n")
    assert project.build() == 2
    error = capsys.readouterr().err
    assert "发现 3 个问题" in error
    assert "articles/b.md:5：第 2 列的字符 “堃”（U+5803）不在正文（宋体）字体 Test Song 中" in error
    assert "（本文件另有 2 处，在第 7 行）" in error
    assert "articles/b.md:5：第 5 列的字符 “𠮷”（U+20BB7）" in error
    assert "articles/c.md:5：第 1 列的字符 “龘”（U+9F98）" in error


def test_a_name_is_never_printed_in_two_typefaces(project, capsys):
    """A name character only the fallback font has would mix two 楷体 in one name."""
    text = project_characters(project, "王𠮷一二三小标题（）") .replace("𠮷", "")
    make_font(project.root / "fonts" / "kai.ttf", "Test Kai", text)
    replace_role(project, "kai", "      - family: Test Kai\n      - family: LXGW WenKai\n")
    article = "---\ntitle: 第二篇文章\nauthors: [王𠮷]\n---\n\n## （一）小标题𠮷\n\n正文。\n"
    project.write("articles/b.md", article)
    assert project.build() == 2
    error = capsys.readouterr().err
    assert ("articles/b.md:3：第 12 列的人名 “王𠮷” 中的 “𠮷”（U+20BB7）不在署名、副标题、二级小标题（楷体）"
            "的首选字体 Test Kai 中：后备字体 LXGW WenKai 虽有此字") in error
    assert "articles/b.md:6" not in error  # a heading may take a character from the fallback
    # Without the name it builds, and the heading shows what the rule prevents for names.
    project.write("articles/b.md", article.replace("authors: [王𠮷]\n", ""))
    assert project.build() == 0
    with pdfplumber.open(project.pdf) as pdf:
        chars = [char for page in pdf.pages for char in page.chars if char["text"] in "小标题𠮷"]
    fonts_of = {char["text"]: char["fontname"] for char in chars}
    assert fonts_of["小"].endswith("+Test-Kai") and "WenKai" in fonts_of["𠮷"]


def test_gallery_captions_are_checked_in_the_caption_font(project, capsys):
    photo = project.issue / "gallery" / "a.jpg"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (3000, 2000), (90, 120, 150)).save(photo, quality=70)
    project.write("issue.yaml", MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n"
                  "    photos:\n      - file: gallery/a.jpg\n        caption: 合影\ue000留念\n")
    assert project.build() == 2
    assert ("issue.yaml:20：第 20 列的字符 “\ue000”（U+E000）不在署名、副标题、二级小标题（楷体）字体 "
            "LXGW WenKai 中") in capsys.readouterr().err


def test_a_font_candidate_not_found_is_named_unless_marked_optional(project, capsys):
    assert project.build() == 0
    assert "警告" not in capsys.readouterr().err  # the sample's licensed fonts are optional
    replace_role(project, "kai", "      - family: Test Kai GB2312\n      - family: LXGW WenKai\n")
    lines = (project.root / "fonts" / "fonts.yaml").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if "Test Kai GB2312" in text)
    assert project.build("--force") == 0
    assert (f"警告：fonts/fonts.yaml:{line}：roles.kai.fonts[0]（第 1 个候选字体）："
            "字体 “Test Kai GB2312” 未找到"
            "（未安装，也不在 fonts/ 中），已跳过。它若只是未安装时可以跳过的首选字体，请加 optional: true"
            in capsys.readouterr().err.replace(str(project.root) + "/", ""))
    replace_role(project, "kai", "      - family: Test Kai GB2312\n        optional: true\n"
                                 "      - family: LXGW WenKia\n        optional: true\n"
                                 "      - family: LXGW WenKai\n")
    assert project.build("--force") == 0
    error = capsys.readouterr().err
    assert "Test Kai GB2312" not in error
    assert ("roles.kai.fonts[1]（第 2 个候选字体）：字体 “LXGW WenKia” 未找到（未安装，也不在 fonts/ 中），"
            "已跳过：是否想写 “LXGW WenKai”？") in error


def test_fonts_command_lists_the_font_each_role_uses(project, capsys):
    make_font(project.root / "fonts" / "kai.ttf", "Test Kai", "（）文图/张炜李四王五赵六")
    replace_role(project, "kai", "      - family: 楷体_GB2312\n        optional: true\n"
                                 "      - family: Test Kai\n      - family: LXGW WenKai\n")
    assert main(["fonts", str(project.issue)]) == 0
    out = capsys.readouterr().out
    kai = out[out.index("  kai："):out.index("  fangsong：")]
    assert kai.splitlines()[1].startswith("    使用：Test Kai（400，")
    assert kai.splitlines()[1].endswith("fonts/kai.ttf）")
    assert kai.splitlines()[2].startswith("    后备：LXGW WenKai（400，")
    assert kai.splitlines()[3] == "    未找到，已跳过：楷体_GB2312"
    assert "  fangsong：版记等（仿宋，可选）\n    无可用字体，使用 body 角色的字体" in out


def test_the_publisher_is_checked_where_the_colophon_prints_it(project, capsys):
    """Without `printed_by` the 版记 names the publisher, in the colophon's 仿宋."""
    project.write("issue.yaml", MINIMAL_MANIFEST + "colophon:\n  submit_to: [上级机关]\n")
    make_font(project.root / "fonts" / "fang.ttf", "Test Fang", "上级机关报送发印年月日共份0123456789：")
    replace_role(project, "fangsong", "      - file: fang.ttf\n")
    assert project.build() == 2
    error = capsys.readouterr().err
    line = MINIMAL_MANIFEST.splitlines().index("publisher: 测试单位") + 1
    assert (f"issue.yaml:{line}：第 12 列的字符 “测”（U+6D4B）"
            "不在版记等（仿宋，可选）字体 Test Fang 中") in error
    project.write("issue.yaml", MINIMAL_MANIFEST + "colophon:\n  submit_to: [上级机关]\n"
                  "  printed_by: 上级机关\n")
    assert project.build() == 0


def test_a_font_replaced_under_the_same_name_is_read_again(tmp_path):
    """`watch` stays up while an editor swaps a licensed font into fonts/ under the name
    the old one had: what the checks know of a face follows the file, not its path."""
    path = make_font(tmp_path / "song.ttf", "Test Song", "甲")
    assert ord("甲") in face_codes(path, 0) and ord("乙") not in face_codes(path, 0)
    make_font(path, "Test Song", "甲乙")
    assert ord("乙") in face_codes(path, 0)
    assert face_advances(path, 0)[ord("乙")] > 0
