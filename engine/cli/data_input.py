"""`--data JSON|@FILE` and `--received-at` as operators type them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import InvalidInput, NotFound
from engine.limits import DEFAULT as DEFAULT_LIMITS, Limits


def read_data(value: str | None, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any] | None:
    if value is None:
        return None
    max_bytes = limits.max_json_bytes
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            # Read at most one byte past the limit: `@/dev/zero` or a FIFO must not be read forever.
            with path.open("rb") as handle:
                raw = handle.read(max_bytes + 1)
        except FileNotFoundError:
            raise NotFound(f"Không tìm thấy tệp dữ liệu '{path}'.", path=str(path)) from None
        except OSError as exc:
            raise InvalidInput(f"Không đọc được tệp dữ liệu '{path}': {exc.strerror}.", path=str(path)) from exc
        source = str(path)
    else:
        raw = value.encode("utf-8", errors="surrogateescape")
        source = "--data"
    if len(raw) > max_bytes:
        raise InvalidInput(
            f"Dữ liệu {source} quá lớn (tối đa {max_bytes} byte; giới hạn 'max_json_bytes' trong mục [limits] "
            "của cấu hình).", source=source)
    from engine.forms import parse_submission_text

    return parse_submission_text(raw, source, max_bytes=max_bytes)
