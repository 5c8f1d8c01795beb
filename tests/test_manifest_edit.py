"""issue.yaml edited by `append_articles` (what `import` calls): the articles are listed and every
other byte of the file stays as the editor wrote it, comments, order, indentation and all."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from conftest import MINIMAL_MANIFEST, SAMPLE_ISSUE
from PIL import Image

from bulletin_pdf.errors import BulletinError
from bulletin_pdf.manifest import load_issue
from bulletin_pdf.manifest_edit import append_articles, append_photos, articles_section

NEW_ARTICLES = ["articles/new-01.md", "articles/新 稿件 (2).md"]
ARTICLE = "---\ntitle: 新文章\n---\n\n正文。\n"


def issue_with(folder: Path, manifest: str, articles: list[str]) -> Path:
    """An issue folder holding `manifest` and the article files it (or the test) names."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in articles:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ARTICLE, encoding="utf-8")
    (folder / "issue.yaml").write_text(manifest, encoding="utf-8")
    return folder / "issue.yaml"


def changes(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    """What difflib sees changed, line by line: (operation, old lines, new lines)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    return [(operation, old[i1:i2], new[j1:j2]) for operation, i1, i2, j1, j2
            in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
            if operation != "equal"]


# The sample's manifest as an editor annotates it: comments on their own lines and after values,
# blank lines, a gallery indented unlike the other lists, a quoted title.
ANNOTATED = (SAMPLE_ISSUE / "issue.yaml").read_text(encoding="utf-8") \
    .replace("sections:\n", "\n# 栏目按顺序排\nsections:   # 五个栏目\n") \
    .replace("  - title: 学习交流\n", "  # 学习交流：学员的交流发言\n  - title: \"学习交流\"\n") \
    .replace("      - articles/jiaoliu-02-xuesi.md\n",
             "      - articles/jiaoliu-02-xuesi.md   # 第二篇\n      # - articles/jiaoliu-old.md\n") \
    .replace("      - articles/jiaoliu-08-keji-chuangxin.md\n",
             "      - articles/jiaoliu-08-keji-chuangxin.md  # 最后一篇\n\n  # 下面是学习动态\n") \
    .replace("      - file:", "        - file:").replace("        caption:", "          caption:")


@pytest.mark.parametrize("text", [(SAMPLE_ISSUE / "issue.yaml").read_text(encoding="utf-8"), ANNOTATED],
                         ids=["sample", "annotated"])
def test_appended_to_a_block_list_and_nothing_else_changes(tmp_path, text):
    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE_ISSUE, folder)
    if text == ANNOTATED:  # the annotations took
        assert "# 第二篇" in text and "# 最后一篇" in text and "        - file:" in text
    manifest = issue_with(folder, text, NEW_ARTICLES)
    result = append_articles(manifest, "学习交流", NEW_ARTICLES)
    after = manifest.read_text(encoding="utf-8")
    assert changes(text, after) == [("insert", [], [
        "      - articles/new-01.md\n", "      - articles/新 稿件 (2).md\n"])]
    # On the lines after the section's last article (and its comment), before what follows it.
    lines = after.splitlines()
    last = next(index for index, line in enumerate(lines) if "jiaoliu-08-keji" in line)
    assert lines[last + 1:last + 3] == ["      - articles/new-01.md", "      - articles/新 稿件 (2).md"]
    assert result.section == "学习交流" and result.added == tuple(NEW_ARTICLES)
    issue = load_issue(folder)
    listed = [ref.path.relative_to(issue.folder).as_posix() for ref in issue.sections[1].articles]
    assert listed[-2:] == NEW_ARTICLES and len(listed) == 10
    assert [len(section.articles) for section in issue.sections] == [4, 10, 4, 8, 0]


def test_a_list_in_brackets_grows_inside_its_brackets(tmp_path):
    text = MINIMAL_MANIFEST.replace(
        "    articles:\n      - articles/a.md\n      - articles/b.md\n",
        "    articles: [articles/a.md, articles/b.md]   # 两篇\n")
    manifest = issue_with(tmp_path, text, ["articles/a.md", "articles/b.md", "articles/c.md",
                                           *NEW_ARTICLES])
    append_articles(manifest, "简讯", NEW_ARTICLES)
    after = manifest.read_text(encoding="utf-8")
    assert changes(text, after) == [(
        "replace", ["    articles: [articles/a.md, articles/b.md]   # 两篇\n"],
        ["    articles: [articles/a.md, articles/b.md, articles/new-01.md, articles/新 稿件 (2).md]"
         "   # 两篇\n"])]
    assert [ref.path.name for ref in load_issue(tmp_path).sections[0].articles] == [
        "a.md", "b.md", "new-01.md", "新 稿件 (2).md"]


@pytest.mark.parametrize("listing", ["    articles: []   # 还没有\n", "    articles:\n", ""],
                         ids=["[]", "no value", "no key"])
def test_an_empty_list_becomes_a_block_list(tmp_path, listing):
    text = MINIMAL_MANIFEST.replace("    articles:\n      - articles/a.md\n      - articles/b.md\n",
                                    listing)
    manifest = issue_with(tmp_path, text, ["articles/c.md", *NEW_ARTICLES])
    append_articles(manifest, None, NEW_ARTICLES[:1])  # None: the first articles section
    after = manifest.read_text(encoding="utf-8")
    comment = "   # 还没有" if "#" in listing else ""
    assert f"  - title: 简讯\n    articles:{comment}\n      - articles/new-01.md\n  - title: 感悟\n" in after
    assert len(changes(text, after)) == 1  # one place changed
    assert [ref.path.name for ref in load_issue(tmp_path).sections[0].articles] == ["new-01.md"]


def test_line_ends_and_byte_order_mark_are_kept(tmp_path):
    text = "\ufeff" + MINIMAL_MANIFEST.replace("\n", "\r\n")
    manifest = issue_with(tmp_path, "", ["articles/a.md", "articles/b.md", "articles/c.md",
                                         *NEW_ARTICLES])
    manifest.write_bytes(text.encode("utf-8"))
    append_articles(manifest, "感悟", NEW_ARTICLES[:1])
    assert manifest.read_bytes() == text.replace(
        "      - articles/c.md\r\n", "      - articles/c.md\r\n      - articles/new-01.md\r\n"
    ).encode("utf-8")


def test_an_article_listed_already_is_not_listed_twice(tmp_path):
    manifest = issue_with(tmp_path, MINIMAL_MANIFEST, ["articles/a.md", "articles/b.md",
                                                        "articles/c.md", *NEW_ARTICLES])
    first = append_articles(manifest, "简讯", [NEW_ARTICLES[0], "./articles/c.md"])
    assert first.added == (NEW_ARTICLES[0],) and first.already_listed == ("articles/c.md",)
    once = manifest.read_bytes()
    stamp = manifest.stat().st_mtime_ns
    again = append_articles(manifest, "感悟", [NEW_ARTICLES[0]])
    assert again.added == () and again.already_listed == (NEW_ARTICLES[0],)
    assert manifest.read_bytes() == once and manifest.stat().st_mtime_ns == stamp  # not rewritten
    assert manifest.read_text(encoding="utf-8").count("new-01.md") == 1
    load_issue(tmp_path)


def refused(manifest: Path, section: str | None, articles: list[str]) -> str:
    """The Chinese message of a refusal; the manifest must be left as it was."""
    before = manifest.read_bytes()
    with pytest.raises(BulletinError) as caught:
        append_articles(manifest, section, articles)
    assert manifest.read_bytes() == before
    assert [path.name for path in manifest.parent.iterdir() if path.name.startswith(".")] == []
    return str(caught.value)


def test_an_unknown_section_is_refused_naming_the_sections(tmp_path):
    manifest = issue_with(tmp_path, MINIMAL_MANIFEST, ["articles/a.md", "articles/b.md",
                                                        "articles/c.md", *NEW_ARTICLES])
    message = refused(manifest, "简汛", NEW_ARTICLES)
    assert message.startswith(f"{tmp_path}/issue.yaml:6：sections：没有名为 “简汛” 的栏目")
    assert "是否想写 “简讯”？" in message and "现有的文章栏目：简讯、感悟" in message
    assert "是否想写" not in refused(manifest, "学习动态", NEW_ARTICLES)
    with pytest.raises(BulletinError, match="没有名为 “简汛” 的栏目"):  # asked before any article is made
        articles_section(manifest, "简汛")
    assert articles_section(manifest, None) == "简讯"
    assert append_articles(manifest, "【感悟】", NEW_ARTICLES).section == "感悟"  # as printed


def test_a_gallery_takes_no_articles(tmp_path):
    text = MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n    photos: []\n"
    manifest = issue_with(tmp_path, text, ["articles/a.md", "articles/b.md", "articles/c.md",
                                           *NEW_ARTICLES])
    message = refused(manifest, "学习掠影", NEW_ARTICLES)
    assert "issue.yaml:16：sections[2]（第 3 个栏目）：栏目 “学习掠影” 是图片栏目" in message
    gallery_only = "name: 简报\nnumber: 1\ndate: 2025-01-01\npublisher: 单位\nsections:\n" \
        "  - title: 学习掠影\n    kind: gallery\n    photos: []\n"
    manifest.write_text(gallery_only, encoding="utf-8")
    assert "期刊清单中没有文章栏目" in refused(manifest, None, NEW_ARTICLES)


def test_missing_or_unfit_article_files_are_refused_before_anything_is_written(tmp_path):
    manifest = issue_with(tmp_path, MINIMAL_MANIFEST, ["articles/a.md", "articles/b.md",
                                                        "articles/c.md", "articles/notes.txt"])
    message = refused(manifest, "简讯", ["articles/c.md", "articles/missing.md", "articles/notes.txt",
                                         "../outside.md"])
    assert "文章文件 “articles/missing.md” 不存在：没有加入期刊清单" in message
    assert "文章文件 “articles/notes.txt” 应为 Markdown（.md）文件" in message
    assert "文章文件 “../outside.md” 在期刊文件夹之外" in message


def test_a_broken_manifest_is_reported_not_edited(tmp_path):
    manifest = issue_with(tmp_path, MINIMAL_MANIFEST.replace("number: 3", "number: [3"),
                          ["articles/a.md", "articles/b.md", "articles/c.md", *NEW_ARTICLES])
    assert "issue.yaml:3：YAML 语法错误" in refused(manifest, "简讯", NEW_ARTICLES)


def test_a_read_only_manifest_is_not_changed(tmp_path):
    manifest = issue_with(tmp_path, MINIMAL_MANIFEST, ["articles/a.md", "articles/b.md",
                                                        "articles/c.md", *NEW_ARTICLES])
    manifest.chmod(0o444)
    assert "期刊清单是只读的，不会修改它" in refused(manifest, "简讯", NEW_ARTICLES)


PHOTOS = [{"file": "gallery/合影.jpg", "caption": "案例教学: “莫德纳”速度"}, {"file": "gallery/IMG_0001.jpg"}]


def gallery_issue(folder: Path, listing: str) -> Path:
    manifest = issue_with(folder, MINIMAL_MANIFEST + "  - title: 学习掠影\n    kind: gallery\n" + listing,
                          ["articles/a.md", "articles/b.md", "articles/c.md"])
    for entry in [*PHOTOS, {"file": "gallery/old.jpg"}]:
        (folder / entry["file"]).parent.mkdir(exist_ok=True)
        Image.new("RGB", (60, 40)).save(folder / entry["file"])
    return manifest


@pytest.mark.parametrize(("listing", "added"), [
    ("    photos:\n        - file: gallery/old.jpg   # 旧照片\n          caption: 旧\n",
     "        - file: gallery/合影.jpg\n          caption: \"案例教学: “莫德纳”速度\"\n"
     "        - file: gallery/IMG_0001.jpg\n"),
    ("    photos: []\n",
     "      - file: gallery/合影.jpg\n        caption: \"案例教学: “莫德纳”速度\"\n"
     "      - file: gallery/IMG_0001.jpg\n"),
    ("    photos: [{file: gallery/old.jpg, caption: 旧}]\n",
     "    photos: [{file: gallery/old.jpg, caption: 旧}, {file: gallery/合影.jpg, "
     "caption: \"案例教学: “莫德纳”速度\"}, {file: gallery/IMG_0001.jpg}]\n"),
], ids=["block", "[]", "brackets"])
def test_photos_are_appended_to_the_gallery_as_written(tmp_path, listing, added):
    manifest = gallery_issue(tmp_path, listing)
    before = manifest.read_text(encoding="utf-8")
    result = append_photos(manifest, None, PHOTOS)  # None: the first gallery
    after = manifest.read_text(encoding="utf-8")
    assert result.section == "学习掠影" and result.added == tuple(entry["file"] for entry in PHOTOS)
    assert after.endswith(added)
    assert len(changes(before, after)) == 1
    photos = load_issue(tmp_path).sections[-1].photos
    assert [(photo.file, photo.caption) for photo in photos][-2:] == [
        ("gallery/合影.jpg", "案例教学: “莫德纳”速度"), ("gallery/IMG_0001.jpg", None)]
    again = append_photos(manifest, "学习掠影", PHOTOS[:1])
    assert again.added == () and manifest.read_text(encoding="utf-8") == after


def test_a_photo_that_is_not_an_image_is_not_listed(tmp_path):
    manifest = gallery_issue(tmp_path, "    photos: []\n")
    (tmp_path / "gallery" / "bad.jpg").write_text("not a photo", encoding="utf-8")
    before = manifest.read_bytes()
    with pytest.raises(BulletinError) as caught:
        append_photos(manifest, None, [{"file": "gallery/bad.jpg"}])
    assert "gallery/bad.jpg" in str(caught.value) and manifest.read_bytes() == before
