// .dmn files: import as Camunda Modeler does (dmn-moddle + camunda + modeler extensions) and keep decision tables
// within what the Camunda 7 DMN engine evaluates.

import { createRequire } from 'node:module';

import { DmnModdle } from 'dmn-moddle';

import { declaredPlatform } from './platform.mjs';

const require = createRequire(import.meta.url);
const camundaSchema = require('camunda-dmn-moddle/resources/camunda.json');
const modelerSchema = require('modeler-moddle/resources/dmn-modeler.json');

// Camunda 7 implements these hit policies; PRIORITY and OUTPUT ORDER are valid DMN but fail at deployment.
const HIT_POLICIES = new Set(['UNIQUE', 'FIRST', 'ANY', 'RULE ORDER', 'COLLECT']);
const AGGREGATIONS = new Set(['SUM', 'MIN', 'MAX', 'COUNT']);

export async function checkDmn(xml) {
  const checks = ['import'];
  const problems = [];
  const notes = [];

  const moddle = new DmnModdle({ camunda: camundaSchema, modeler: modelerSchema });
  let definitions;
  try {
    const result = await moddle.fromXML(xml, 'dmn:Definitions');
    definitions = result.rootElement;
    for (const warning of result.warnings) {
      problems.push({ id: (warning.element && warning.element.id) || null, rule: 'import', message: warning.message,
        category: 'error' });
    }
  } catch (error) {
    problems.push({ id: null, rule: 'import', message: error.message, category: 'error' });
    return { checks, problems, notes };
  }

  const platform = declaredPlatform(
    definitions.get('modeler:executionPlatform'),
    definitions.get('modeler:executionPlatformVersion')
  );
  if (platform.problem) {
    problems.push(platform.problem);
  }

  checks.push('hit-policy:camunda-7');
  for (const drg of definitions.drgElement || []) {
    const table = drg.decisionLogic;
    if (!table || table.$type !== 'dmn:DecisionTable') {
      continue;
    }
    const hitPolicy = table.hitPolicy || 'UNIQUE';
    if (!HIT_POLICIES.has(hitPolicy)) {
      problems.push({ id: drg.id, rule: 'hit-policy',
        message: `hit policy ${hitPolicy} is not supported by Camunda 7`, category: 'error' });
    }
    if (table.aggregation && (hitPolicy !== 'COLLECT' || !AGGREGATIONS.has(table.aggregation))) {
      problems.push({ id: drg.id, rule: 'hit-policy',
        message: `aggregation ${table.aggregation} is only allowed as SUM, MIN, MAX or COUNT with hit policy COLLECT`,
        category: 'error' });
    }
  }
  return { checks, problems, notes };
}
