"""`bulletin-pdf import` of phone photos: copied into the gallery folder, listed in the gallery
section with the caption their file name gives, printed; all or none, in Chinese."""

from __future__ import annotations

import pdfplumber
import pytest
from conftest import Project
from pdfread import read_pages, squash
from PIL import Image
from worddocs import body, new_document, saved, title

import bulletin_pdf.images  # noqa: F401  (registers pillow-heif's HEIC opener with Pillow)
from bulletin_pdf.cli import main
from bulletin_pdf.importing import photo_caption
from bulletin_pdf.manifest import load_issue

GALLERY = "  - title: 学习掠影\n    kind: gallery\n    photos: []\n"
LANDSCAPE = (1200, 800)  # two to a row: about 400 dpi


def photo(path, size=LANDSCAPE, colour=(180, 60, 40)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, quality=90)
    return path


@pytest.fixture
def gallery_project(project: Project) -> Project:
    manifest = project.issue / "issue.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + GALLERY, encoding="utf-8")
    return project


@pytest.fixture
def phone_folder(tmp_path):
    folder = tmp_path / "手机照片"
    photo(folder / "IMG_0001.HEIC")
    photo(folder / "02-小组讨论现场.jpg", colour=(40, 120, 200))
    photo(folder / "IMG_0010.jpg", (800, 1200), (40, 160, 60))
    (folder / "说明.txt").write_text("照片说明", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


def run_import(project: Project, *arguments: str) -> int:
    return main(["import", str(project.issue), *arguments])


def files_under(folder):
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


@pytest.mark.parametrize(("name", "caption"), [
    ("02-小组讨论现场.jpg", "小组讨论现场"),
    ("合影.heic", "合影"),
    ("1、开班式.JPG", "开班式"),
    ("学员 参观_成果展.png", "学员 参观 成果展"),
    ("IMG_0001.HEIC", None),
    ("IMG_20250412_093011.jpg", None),
    ("微信图片_20250412093011.jpg", None),
    ("屏幕截图 2025-04-12 093011.png", None),
    ("Screenshot_2025-04-12-09-30-11.png", None),
    ("DSC01234.JPG", None),
    ("PXL_20250412_093011123.jpg", None),
    ("mmexport1712900000000.jpg", None),
    ("team photo.jpg", None),  # no Chinese: not a caption for a Chinese bulletin
])
def test_the_file_name_is_the_caption_unless_a_phone_gave_it(tmp_path, name, caption):
    assert photo_caption(tmp_path / name) == caption


def test_a_folder_of_phone_photos_goes_into_the_gallery_and_prints(gallery_project, phone_folder, capsys):
    assert run_import(gallery_project, str(phone_folder)) == 0
    out, err = capsys.readouterr()
    assert "已导入 3 张照片，列在图片栏目“学习掠影”" in out
    assert "图注：小组讨论现场" in out and "没有图注" in out
    assert "跳过（不是 Word 稿件或照片）" in err and "说明.txt" in err and "DS_Store" not in err
    issue = load_issue(gallery_project.issue)
    photos = issue.sections[-1].photos
    # In the folder's order, numbers compared as numbers (IMG_0010 after IMG_0001 and 02-…).
    assert [(item.file, item.caption) for item in photos] == [
        ("gallery/02-小组讨论现场.jpg", "小组讨论现场"), ("gallery/IMG_0001.heic", None),
        ("gallery/IMG_0010.jpg", None)]
    assert (gallery_project.issue / "gallery" / "IMG_0001.heic").read_bytes() == \
        (phone_folder / "IMG_0001.HEIC").read_bytes()

    assert gallery_project.build() == 0
    assert "照片 “gallery/IMG_0001.heic” 没有图注" in capsys.readouterr().err
    gallery_page = read_pages(gallery_project.pdf)[-1]
    assert "学习掠影" in gallery_page.large and "小组讨论现场" in squash(gallery_page.body)
    with pdfplumber.open(gallery_project.pdf) as pdf:
        assert len(pdf.pages[-1].images) == 3


def test_importing_the_same_photos_again_copies_and_lists_nothing(gallery_project, phone_folder, capsys):
    assert run_import(gallery_project, str(phone_folder)) == 0
    manifest = (gallery_project.issue / "issue.yaml").read_bytes()
    capsys.readouterr()
    assert run_import(gallery_project, str(phone_folder / "IMG_0001.HEIC")) == 0
    assert "已有同样的照片，未再复制，期刊清单中已有，未重复列出" in capsys.readouterr().out
    assert (gallery_project.issue / "issue.yaml").read_bytes() == manifest


def test_another_photo_of_the_same_name_is_replaced_only_with_force(gallery_project, phone_folder,
                                                                    tmp_path, capsys):
    assert run_import(gallery_project, str(phone_folder)) == 0
    other = photo(tmp_path / "elsewhere" / "IMG_0001.HEIC", colour=(10, 10, 10))
    capsys.readouterr()
    assert run_import(gallery_project, str(other)) == 2
    err = capsys.readouterr().err
    assert "gallery/IMG_0001.heic" in err and "--force" in err
    assert run_import(gallery_project, str(other), "--force") == 0
    assert (gallery_project.issue / "gallery" / "IMG_0001.heic").read_bytes() == other.read_bytes()
    assert len(load_issue(gallery_project.issue).sections[-1].photos) == 3  # listed once


def test_one_broken_photo_and_nothing_is_imported(gallery_project, phone_folder, capsys):
    document = new_document()
    title(document, "一篇稿件")
    body(document, "稿件的正文。")
    saved(document, phone_folder / "稿件.docx")
    broken = phone_folder / "IMG_0005.jpg"
    broken.write_bytes(photo(phone_folder / "whole.jpg").read_bytes()[:200])
    (phone_folder / "whole.jpg").unlink()
    before = files_under(gallery_project.issue)
    manifest = (gallery_project.issue / "issue.yaml").read_bytes()
    assert run_import(gallery_project, str(phone_folder)) == 2
    err = capsys.readouterr().err
    assert "IMG_0005.jpg" in err and "照片" in err
    assert files_under(gallery_project.issue) == before
    assert (gallery_project.issue / "issue.yaml").read_bytes() == manifest


def test_photos_need_a_gallery_section(project, phone_folder, capsys):
    manifest = (project.issue / "issue.yaml").read_bytes()
    assert run_import(project, str(phone_folder)) == 2
    err = capsys.readouterr().err
    assert "issue.yaml" in err and "没有图片栏目" in err and "kind: gallery" in err
    assert not (project.issue / "gallery").exists()
    assert (project.issue / "issue.yaml").read_bytes() == manifest


def test_photos_are_refused_by_an_articles_section_named(gallery_project, phone_folder, capsys):
    assert run_import(gallery_project, str(phone_folder), "--section", "简讯") == 2
    err = capsys.readouterr().err
    assert "栏目 “简讯” 是文章栏目" in err and "学习掠影" in err
    assert not (gallery_project.issue / "gallery").exists()


def test_a_folder_with_nothing_to_import_is_refused(gallery_project, tmp_path, capsys):
    folder = tmp_path / "空文件夹"
    folder.mkdir()
    (folder / "readme.txt").write_text("x", encoding="utf-8")
    assert run_import(gallery_project, str(folder)) == 2
    err = capsys.readouterr().err
    assert "空文件夹" in err and "没有可导入的 Word 稿件或照片" in err
