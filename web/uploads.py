"""The name a browser gave an uploaded file, read the way browsers write it.

Browsers follow the HTML Standard's multipart/form-data encoding: a ``"`` in a file name
becomes ``%22`` and a backslash is sent as it is, so old Windows browsers send the whole
client path (``C:\\Users\\...\\件数.csv``). Werkzeug (from 3.1.9) reads the quoted name as an
RFC 9110 quoted-string and drops every backslash, which would glue that path into one
name (``C:Users...件数.csv``). The raw part header is still there, so the name is taken
from it and only its last path component is kept.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import FileStorage

from workflow.attachments import safe_filename

# filename="..." (not filename*=), the quoted value up to the first quote that is not
# escaped as \" (an RFC 9110 client) — browsers never escape, they percent-encode quotes.
_QUOTED_FILENAME = re.compile(r'(?:^|;)\s*filename\s*=\s*"((?:[^"\\]|\\.|\\$)*)"', re.I)


def client_filename(upload: FileStorage, default: str = "file") -> str:
    """The uploaded file's own name without any client path, safe to show and store."""
    disposition = upload.headers.get("Content-Disposition", "")
    match = _QUOTED_FILENAME.search(disposition)
    if match and "filename*" not in disposition.lower():
        raw = match.group(1).replace('\\"', '"').replace("%22", '"')
    else:  # filename*=UTF-8''... (RFC 5987) or an unquoted token: Werkzeug decodes it right
        raw = upload.filename or ""
    return safe_filename(raw) if raw.strip() else default
