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
        return self.lane_ids_by_node_id.get(node_id)
