"""Data objects, data stores and their associations: drawn for the reader, inert at run time.

The issue's rule (and Camunda 7's practice: it executes none of them) is that they deploy and change nothing. SpiffWorkflow
would execute data associations (copy a data object into a step's data, move a variable out of it, fail when the object
has no value), so they are removed from the tree the library parses; validation and lint still see the whole file.
"""

from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
INERT = ("dataObject", "dataObjectReference", "dataStoreReference", "dataInputAssociation", "dataOutputAssociation")


def strip_inert(root: etree._Element) -> etree._Element:
    """`root` without the data elements the library would run (changed in place and returned)."""
    for local in INERT:
        for node in list(root.iter(f"{{{BPMN}}}{local}")):
            node.getparent().remove(node)
    return root
