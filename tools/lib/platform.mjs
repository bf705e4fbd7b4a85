// The execution platform a file declares. Camunda Modeler chooses its lint rules from this header and lints
// nothing when it is missing, so a missing or foreign header is itself a problem.

export const PLATFORM = 'Camunda Platform';

/**
 * @param {string|undefined} platform
 * @param {string|undefined} version
 * @returns {{ minor: string } | { problem: { id: null, rule: string, message: string, category: string } }}
 */
export function declaredPlatform(platform, version) {
  if (!platform || !version) {
    return problem('the file does not declare its execution platform and version '
      + '(executionPlatform, executionPlatformVersion); Camunda Modeler lints nothing without them');
  }
  if (platform !== PLATFORM) {
    return problem(`the file declares execution platform "${platform}"; this project targets "${PLATFORM}" 7`);
  }
  const match = /^7\.(\d+)(\.\d+)?$/.exec(version);
  if (!match) {
    return problem(`the file declares execution platform version "${version}", which is not a Camunda 7 version`);
  }
  return { minor: `7.${match[1]}` };
}

export function unsupportedVersion(minor, tool) {
  return problem(`${tool} has no rules for Camunda Platform ${minor}; declare a supported version`).problem;
}

function problem(message) {
  return { problem: { id: null, rule: 'execution-platform', message, category: 'error' } };
}
