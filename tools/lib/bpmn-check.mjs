// .bpmn files: import exactly as Camunda Modeler does (bpmn-moddle + camunda + modeler extensions), then run the
// bpmnlint configuration of .bpmnlintrc with the camunda-compat rules of the version the file declares.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { BpmnModdle } from 'bpmn-moddle';

import { declaredPlatform, unsupportedVersion } from './platform.mjs';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
const camundaCompat = require('bpmnlint-plugin-camunda-compat');

const camundaSchema = require('camunda-bpmn-moddle/resources/camunda.json');
const modelerSchema = require('modeler-moddle/resources/modeler.json');

const COMPAT_PREFIX = 'plugin:camunda-compat/';

/**
 * @param {string} root project root holding .bpmnlintrc and node_modules
 */
export function createBpmnChecker(root) {
  const rc = JSON.parse(readFileSync(path.join(root, '.bpmnlintrc'), 'utf8'));
  const parents = [].concat(rc.extends || []);
  // The version-specific compat config is chosen per file below; .bpmnlintrc names one only for editors and the CLI.
  const baseExtends = parents.filter((name) => !name.startsWith(COMPAT_PREFIX));
  const resolver = new NodeResolver({ require: createRequire(path.join(root, 'package.json')) });

  return async function checkBpmn(xml) {
    const checks = ['import'];
    const problems = [];
    const notes = [];

    const moddle = new BpmnModdle({ camunda: camundaSchema, modeler: modelerSchema });
    let definitions;
    try {
      const result = await moddle.fromXML(xml, 'bpmn:Definitions');
      definitions = result.rootElement;
      for (const warning of result.warnings) {
        problems.push(importProblem(warning));
      }
    } catch (error) {
      problems.push({ id: null, rule: 'import', message: error.message, category: 'error' });
      return { checks, problems, notes };
    }
    problems.push(...diagramProblems(definitions));

    const platform = declaredPlatform(
      definitions.get('modeler:executionPlatform'),
      definitions.get('modeler:executionPlatformVersion')
    );
    if (platform.problem) {
      problems.push(platform.problem);
      return { checks, problems, notes };
    }
    const compatConfig = `camunda-platform-${platform.minor.replace('.', '-')}`;
    if (!(compatConfig in camundaCompat.configs)) {
      problems.push(unsupportedVersion(platform.minor, 'bpmnlint-plugin-camunda-compat'));
      return { checks, problems, notes };
    }

    checks.push(...baseExtends, `camunda-compat:${platform.minor}`);
    // A fresh linter per file: bpmnlint caches rule instances, and some rules (no-duplicate-sequence-flows) keep
    // state in them, so a shared linter reports one file's flows as duplicates of the previous file's.
    const linter = new Linter({ resolver });
    const results = await linter.lint(definitions, {
      extends: [...baseExtends, COMPAT_PREFIX + compatConfig],
      rules: rc.rules || {}
    });
    for (const [rule, reports] of Object.entries(results)) {
      for (const report of reports) {
        const entry = { id: report.id || null, rule, message: report.message, category: report.category };
        // Camunda Modeler shows errors and warnings in its problems panel; "info" is advice, kept as a note.
        (report.category === 'info' ? notes : problems).push(entry);
      }
    }
    return { checks, problems, notes };
  };
}

function importProblem(warning) {
  const element = warning.element;
  return {
    id: (element && element.id) || null,
    rule: 'import',
    message: warning.message,
    category: 'error'
  };
}

// The diagram checks bpmn-js makes while importing (BpmnTreeWalker): Camunda Modeler reports these as import
// warnings, but moddle alone does not.
function diagramProblems(definitions) {
  const problems = [];
  const diagrams = definitions.diagrams || [];
  if (!diagrams.length) {
    problems.push({ id: definitions.id, rule: 'import', message: 'no diagram to display', category: 'error' });
  }
  const drawn = new Map();
  for (const diagram of diagrams) {
    const plane = diagram.plane;
    for (const di of (plane && plane.planeElement) || []) {
      const element = di.bpmnElement;
      if (!element) {
        problems.push({ id: di.id, rule: 'import', message: `no bpmnElement referenced in <${di.$type}#${di.id}>`,
          category: 'error' });
        continue;
      }
      if (drawn.has(element)) {
        problems.push({ id: element.id, rule: 'import',
          message: `multiple DI elements defined for <${element.$type}#${element.id}>`, category: 'error' });
      }
      drawn.set(element, di);
    }
  }
  return problems;
}
