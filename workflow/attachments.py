"""Files attached to a case: checked by content (not by name), stored outside the web root."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from workflow import access
from workflow.errors import AccessDenied, InvalidInput
from workflow.models import Attachment, Case, User, utcnow
from workflow.people.audit import record
from workflow.states import Reason

# extension -> (content type, magic prefixes); Office files are zip containers.
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
             (b"PK\x03\x04",)),
    "csv": ("text/csv", ()),
    "txt": ("text/plain", ()),
}
MAX_BYTES = 10 * 1024 * 1024


def _reason(code: str, ja: str, en: str) -> InvalidInput:
    return InvalidInput({"file": [Reason(code, ja, en)]})


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    for encoding in ("utf-8-sig", "cp932"):
        try:
            data[:65536].decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start > 65530:  # cut in the middle of a multi-byte character
                return True
    return False


def safe_filename(name: str) -> str:
    """Keep Japanese names readable, drop path parts and control characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*').strip(" .")
    return name[:200] or "file"


def check_file(filename: str, data: bytes, max_bytes: int = MAX_BYTES) -> str:
    """The content type of an acceptable upload, or ``InvalidInput`` saying why not."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ALLOWED:
        raise _reason("file_type",
                      "このファイル形式はアップロードできません（PDF、Office、画像、CSV、テキスト）",
                      "This file type is not allowed (PDF, Office, images, CSV, text)")
    if not data:
        raise _reason("file_empty", "ファイルが空です", "The file is empty")
    if len(data) > max_bytes:
        raise _reason("file_size", f"ファイルは{max_bytes // (1024 * 1024)}MBまでです",
                      f"Files may be at most {max_bytes // (1024 * 1024)} MB")
    content_type, magics = ALLOWED[ext]
    matches = any(data.startswith(m) for m in magics) if magics else _looks_like_text(data)
    if not matches:
        raise _reason("file_content", "ファイルの中身が拡張子と一致しません",
                      "The file's content does not match its extension")
    return content_type


def store_attachment(session: Session, case: Case, user: User, filename: str, data: bytes,
                     storage_dir: Path, *, max_bytes: int = MAX_BYTES,
                     now: datetime | None = None) -> Attachment:
    if not access.can_comment(session, user, case):
        raise AccessDenied("この案件にはファイルを添付できません",
                           "You may not attach files to this case")
    filename = safe_filename(filename)
    content_type = check_file(filename, data, max_bytes)
    storage_dir.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = storage_dir / stored_name
    path.write_bytes(data)
    try:
        attachment = Attachment(case_id=case.id, filename=filename, stored_name=stored_name,
                                content_type=content_type, size=len(data),
                                sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=user.id,
                                created_at=now or utcnow())
        session.add(attachment)
        session.flush()
        record(session, "attachment", user, case_id=case.id, now=now,
               data={"filename": filename, "size": len(data)})
        session.commit()
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)
        raise
    return attachment
