"""The print output profile (ICC), checked before anything is laid out.

The print PDF converts RGB photos with this profile and embeds it as the
PDF/X output intent, so it must be a CMYK output (printer) profile that
LittleCMS can build a transform to. A wrong file would otherwise surface
mid-build as a LittleCMS error in English.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import ImageCms

HEADER_SIZE = 128  # ICC.1:2022, 7.2
COLOUR_SPACES = {b"RGB ": "RGB", b"GRAY": "灰度", b"Lab ": "Lab", b"XYZ ": "XYZ"}
DEVICE_CLASSES = {b"mntr": "显示器", b"scnr": "扫描仪", b"prtr": "输出设备（印刷）",
                  b"spac": "颜色空间转换", b"abst": "抽象", b"link": "设备链接", b"nmcl": "专色"}
MAX_PROFILE_BYTES = 64 * 1024 * 1024  # real CMYK profiles are a few MB at most


def output_profile_problem(path: Path) -> str | None:
    """Why `path` cannot be the print output profile, in words a print buyer knows; or None."""
    if not path.is_file():
        return "ICC 输出特性文件不存在"
    if path.stat().st_size > MAX_PROFILE_BYTES:
        return "不是 ICC 特性文件（文件过大）：请使用印刷厂提供的 CMYK 输出特性文件（.icc）"
    data = path.read_bytes()
    if len(data) < HEADER_SIZE or data[36:40] != b"acsp":
        return "不是 ICC 特性文件（缺少 ICC 文件头）：请使用印刷厂提供的 CMYK 输出特性文件（.icc）"
    declared = int.from_bytes(data[0:4], "big")
    if declared > len(data):
        return f"ICC 特性文件不完整：应有 {declared} 字节，只有 {len(data)} 字节，请重新获取该文件"
    space, device = data[16:20], data[12:16]
    if space != b"CMYK":
        name = COLOUR_SPACES.get(space, space.decode("latin-1").strip())
        return (f"这是 {name} 特性文件，印刷需要 CMYK 输出特性文件：请使用印刷厂提供的 CMYK 特性文件"
                "（如 ISO Coated v2、Japan Color 2001 Coated）")
    if device != b"prtr":
        name = DEVICE_CLASSES.get(device, device.decode("latin-1").strip())
        return f"这是{name}特性文件，不是印刷输出特性文件：请使用印刷厂提供的 CMYK 输出特性文件"
    try:
        ImageCms.buildTransform(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")),
                                ImageCms.ImageCmsProfile(io.BytesIO(data)), "RGB", "CMYK")
    except (OSError, ImageCms.PyCMSError):
        return "LittleCMS 无法用此特性文件转换颜色（文件可能已损坏）：请重新获取印刷厂提供的文件"
    return None
