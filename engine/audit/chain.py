"""Checking one case's hash chain: every hash recomputed, sequence numbers 1..n, links, and the case row's pointer.

The case row keeps the seq and hash of the last event, so deleting the *last* events (which leaves a valid shorter
chain) is caught by comparing the chain's end with that pointer.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.history import GENESIS, event_hash


@dataclass(frozen=True)
class ChainBreak:
    seq: int  # the first bad event (or the first missing one)
    reason: str  # stable token: hash_mismatch | seq_gap | link_broken | tail_missing | head_mismatch | no_events
    message: str  # one Vietnamese sentence naming the case and the event

    def to_dict(self) -> dict:
        return {"seq": self.seq, "reason": self.reason, "message": self.message}


def check_chain(case: dict, events: list[dict]) -> ChainBreak | None:
    """The first break in the chain of `case`, or None when every event and the case pointer agree."""
    case_id = case["id"]
    if not events:
        return ChainBreak(1, "no_events", f"Hồ sơ '{case_id}' không còn sự kiện nào trong lịch sử.")
    prev = GENESIS
    for expected, event in enumerate(events, 1):
        seq = event["seq"]
        if seq != expected:
            if seq > expected:
                return ChainBreak(expected, "seq_gap",
                                  f"Hồ sơ '{case_id}': thiếu sự kiện số {expected} (sự kiện kế tiếp mang số {seq}).")
            return ChainBreak(expected, "seq_gap",
                              f"Hồ sơ '{case_id}': sự kiện thứ {expected} mang số {seq}, sai thứ tự.")
        if event["prev_hash"] != prev:
            return ChainBreak(seq, "link_broken",
                              f"Hồ sơ '{case_id}': sự kiện số {seq} không nối với băm của sự kiện trước nó.")
        digest = event_hash(case_id, seq, event["type"], event["at"], event["actor"], event["element_id"],
                            event["payload"], event["prev_hash"], event.get("origin"))
        if digest != event["hash"]:
            return ChainBreak(seq, "hash_mismatch",
                              f"Hồ sơ '{case_id}': nội dung sự kiện số {seq} ({event['type']}) đã bị thay đổi "
                              "so với mã băm ghi lúc tạo.")
        prev = event["hash"]
    last = events[-1]
    if case["event_seq"] > last["seq"]:
        return ChainBreak(last["seq"] + 1, "tail_missing",
                          f"Hồ sơ '{case_id}': thiếu các sự kiện từ số {last['seq'] + 1} đến số {case['event_seq']} "
                          "ở cuối lịch sử.")
    if case["event_seq"] != last["seq"] or case["event_hash"] != last["hash"]:
        return ChainBreak(last["seq"], "head_mismatch",
                          f"Hồ sơ '{case_id}': con trỏ lịch sử trên hồ sơ (số {case['event_seq']}) không khớp "
                          f"sự kiện cuối cùng (số {last['seq']}).")
    return None
