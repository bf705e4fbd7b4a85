// .form files: Camunda's own form linter, with the execution platform and version the form declares.

import { register } from 'node:module';

import { declaredPlatform, unsupportedVersion } from './platform.mjs';

register('./extensionless-hook.mjs', import.meta.url);
const { FormLinter } = await import('@camunda/form-linting');
const { getFormJSVersion } = await import('@camunda/form-linting/lib/config/formVersion.js');

export async function checkForm(text) {
  const checks = ['import'];
  const problems = [];
  const notes = [];

  let schema;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    problems.push({ id: null, rule: 'import', message: error.message, category: 'error' });
    return { checks, problems, notes };
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    problems.push({ id: null, rule: 'import', message: 'a form must be a JSON object', category: 'error' });
    return { checks, problems, notes };
  }

  const platform = declaredPlatform(schema.executionPlatform, schema.executionPlatformVersion);
  if (platform.problem) {
    problems.push(platform.problem);
    return { checks, problems, notes };
  }
  // The linter silently checks nothing for a version it does not know; that must not pass as clean.
  if (!getFormJSVersion(schema)) {
    problems.push(unsupportedVersion(platform.minor, '@camunda/form-linting'));
    return { checks, problems, notes };
  }

  checks.push(`form-linting:${platform.minor}`);
  for (const report of new FormLinter().lint(schema)) {
    const entry = { id: report.id || null, rule: report.rule || 'form-linting', message: report.message,
      category: report.category || 'error' };
    (entry.category === 'info' ? notes : problems).push(entry);
  }
  return { checks, problems, notes };
}
