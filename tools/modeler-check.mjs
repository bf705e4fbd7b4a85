#!/usr/bin/env node
// Camunda Modeler compatibility checks: `node tools/modeler-check.mjs FILE...`
//
// Runs the packages Camunda Modeler is built on (installed by `npm ci` from package-lock.json) over .bpmn, .form and
// .dmn files and prints one JSON document on stdout:
//   {"files": [{"path", "kind", "checks": [...], "problems": [{"id", "rule", "message", "category"}], "notes": [...]}]}
// "problems" holds everything the Modeler shows as an error or a warning; "notes" its informational hints.
// Exit status: 0 when no file has a problem, 1 otherwise, 2 for a usage error.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createBpmnChecker } from './lib/bpmn-check.mjs';
import { checkDmn } from './lib/dmn-check.mjs';
import { checkForm } from './lib/form-check.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KINDS = { '.bpmn': 'bpmn', '.form': 'form', '.dmn': 'dmn' };

async function checkFile(file, checkers) {
  const kind = KINDS[path.extname(file).toLowerCase()];
  if (!kind) {
    return { path: file, kind: 'unknown', checks: [], notes: [],
      problems: [{ id: null, rule: 'file-type', message: 'expected a .bpmn, .form or .dmn file', category: 'error' }] };
  }
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { path: file, kind, checks: [], notes: [],
      problems: [{ id: null, rule: 'read', message: error.message, category: 'error' }] };
  }
  return { path: file, kind, ...(await checkers[kind](text)) };
}

async function main(files) {
  if (!files.length) {
    process.stderr.write('usage: node tools/modeler-check.mjs FILE...\n');
    return 2;
  }
  const checkers = { bpmn: createBpmnChecker(ROOT), form: checkForm, dmn: checkDmn };
  const reports = [];
  for (const file of files) {
    reports.push(await checkFile(file, checkers));
  }
  process.stdout.write(JSON.stringify({ files: reports }, null, 2) + '\n');
  return reports.some((report) => report.problems.length) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
