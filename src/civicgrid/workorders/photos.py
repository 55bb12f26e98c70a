"""Photos of a work order: checked by their content (not their name), shrunk and re-encoded as JPEG.

Re-encoding drops EXIF, so a resident's phone model and home coordinates never reach the server's disk.
"""

import hashlib
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civicgrid.core.errors import ValidationError

MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 6
MAX_SIDE = 2048
MAX_PIXELS = 64_000_000  # above any phone's default photo; a few bytes of PNG can claim far more (a decompression bomb)
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}


@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes
    width: int
    height: int
    sha256: str
    content_type: str = "image/jpeg"


def prepare(data: bytes) -> PreparedPhoto:
    if len(data) > MAX_BYTES:
        raise ValidationError(_("照片不能超过 10 MB。"))
    too_large = ValidationError(_("照片像素过大（最多 %(n)s 万像素）。") % {"n": MAX_PIXELS // 10_000})
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:  # checked from the header, before anything is decoded
                raise too_large
            probe.verify()
        with Image.open(BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("只接受 JPEG、PNG、WebP、GIF、BMP 格式的照片。"))
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((MAX_SIDE, MAX_SIDE))
            if picture.mode != "RGB":
                picture = picture.convert("RGB")
            out = BytesIO()
            picture.save(out, "JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        raise too_large from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(_("上传的文件不是可识别的图片。")) from error
    content = out.getvalue()
    return PreparedPhoto(content, picture.width, picture.height, hashlib.sha256(content).hexdigest())


def prepare_all(files: list[bytes]) -> list[PreparedPhoto]:
    if len(files) > MAX_PHOTOS:
        raise ValidationError(_("最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS})
    return [prepare(data) for data in files]
