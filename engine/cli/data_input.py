"""`--data JSON|@FILE` and `--received-at` as operators type them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import InvalidInput, NotFound

MAX_BYTES = 1024 * 1024


def read_data(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"Không tìm thấy tệp dữ liệu '{path}'.", path=str(path)) from None
        except OSError as exc:
            raise InvalidInput(f"Không đọc được tệp dữ liệu '{path}': {exc.strerror}.", path=str(path)) from exc
        source = str(path)
    else:
        raw = value.encode("utf-8", errors="surrogateescape")
        source = "--data"
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"Dữ liệu {source} quá lớn (tối đa {MAX_BYTES // 1024} KB).", source=source)
    from engine.forms import parse_submission_text

    return parse_submission_text(raw, source)
