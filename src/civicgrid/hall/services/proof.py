"""Proof of delivery: the resident's signature (drawn on the phone, a PNG with a transparent background) or a photo.

The checks are the work orders' (`workorders.photos`: content, not name; size; pixels read from the header before
anything is decoded; re-encoded as JPEG without metadata). A transparent signature is first laid on white paper, or
its black strokes would vanish into a black JPEG background.
"""

from io import BytesIO

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from civicgrid.core.errors import ValidationError
from civicgrid.workorders import photos
from civicgrid.workorders.photos import PreparedPhoto


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def prepare_proof(data: bytes) -> PreparedPhoto:
    if not data:
        raise ValidationError(_("请上传居民签名或送达照片。"), errors={"proof": [_("请上传送达凭证。")]})
    if len(data) > photos.MAX_BYTES:
        raise ValidationError(_("照片不能超过 10 MB。"), errors={"proof": [_("文件过大。")]})
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.width * probe.height > photos.MAX_PIXELS:
                raise ValidationError(_("图片像素过大。"), errors={"proof": [_("图片像素过大。")]})
            probe.verify()
        with Image.open(BytesIO(data)) as image:
            if image.format in photos.ACCEPTED_FORMATS and _has_alpha(image):
                drawn = image.convert("RGBA")
                paper = Image.new("RGBA", drawn.size, (255, 255, 255, 255))
                paper.alpha_composite(drawn)
                flat = BytesIO()
                paper.convert("RGB").save(flat, "PNG")
                data = flat.getvalue()
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        raise ValidationError(_("图片像素过大。"), errors={"proof": [_("图片像素过大。")]}) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(_("上传的文件不是可识别的图片。"), errors={"proof": [_("不是图片。")]}) from error
    return photos.prepare(data)
