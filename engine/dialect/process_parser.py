"""SpiffWorkflow's process parser, indexed in one pass over the process so that parsing stays linear in its size.

The library indexes a process with the XPath `.//*[@id]`, which libxml2 evaluates in time quadratic in the number of
children of one parent: 20,000 text annotations took 6 s, 400,000 more than an hour (issue 19). Walking the tree with
`iter()` builds the same index in linear time. Lane ids are indexed here too: looking a task's lane up with an XPath
over the whole document, once per task, is quadratic in the number of tasks.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class LinearProcessParser(ProcessParser):
    def __init__(self, p, node, nsmap, data_stores, filename=None, lane=None):
        super().__init__(p, node, nsmap, data_stores, filename=filename, lane=lane)
        if lane is not None:
            # An embedded sub-process: the library would put every element inside in the sub-process's lane. Each
            # keeps the lane it is drawn in (the process's flowNodeRefs), the sub-process's lane when it has none.
            self.enclosing_lane = lane
            self.lane = None
            document: dict[str, str] = {}
            for ref in self.document_root.iter(f"{{{BPMN}}}flowNodeRef"):
                if ref.text:
                    document.setdefault(ref.text.strip(), ref.getparent().get("id"))
            own = document.get(node.get("id"))
            self.lane_ids_by_node_id = {k: v for k, v in document.items()}
            self.enclosing_lane_id = own

    def get_lane_name(self, node_id: str) -> str | None:
        name = super().get_lane_name(node_id)
        return name if name is not None else getattr(self, "enclosing_lane", None)

    def _index_process_nodes(self):
        lanes: dict[str, str] = {}
        for node in self.node.iter():
            if not isinstance(node.tag, str):
                continue  # comments and processing instructions
            if node.tag == f"{{{BPMN}}}flowNodeRef" and node.text:
                lane = node.getparent()
                lanes.setdefault(node.text.strip(), lane.get("id"))
            node_id = node.get("id")
            if node is self.node or node_id is None:
                continue  # the library's `.//*[@id]` covers descendants that have an id
            self.nodes_by_id[node_id] = node
            if node.tag.endswith("sequenceFlow"):
                self.outgoing_sequence_flows.setdefault(node.get("sourceRef"), []).append(node)
            elif node.tag.endswith("boundaryEvent"):
                self.boundary_events_by_attached.setdefault(node.get("attachedToRef"), []).append(node)
            elif node.tag.endswith("dataObjectReference"):
                self.data_object_references[node_id] = node
            elif node.tag.endswith("dataStoreReference"):
                self.data_store_references[node_id] = node
        self.lane_ids_by_node_id = lanes

    def lane_id(self, node_id: str) -> str | None:
        found = self.lane_ids_by_node_id.get(node_id)
        return found if found is not None else getattr(self, "enclosing_lane_id", None)
