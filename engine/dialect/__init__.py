"""Reading Camunda-Modeler BPMN: parser extensions, safe expressions, working-day timers."""
