"""Font roles: resolution, swapping in a licensed font through fonts/, and clear failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from pdfread import fonts, read_pages, squash

from bulletin_pdf.errors import BulletinError
from bulletin_pdf.fonts import load_fonts

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
