// Node resolve hook: @camunda/form-linting ships bundler-style ES modules whose relative imports omit the ".js"
// extension ("./lib/FormLinter"). Node refuses those; bundlers (and so Camunda Modeler) accept them. Only relative
// specifiers that fail to resolve are retried with ".js", so every other module resolves exactly as Node would.

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (error.code !== 'ERR_MODULE_NOT_FOUND' || !relative || /\.[cm]?js$/.test(specifier)) {
      throw error;
    }
    return nextResolve(`${specifier}.js`, context);
  }
}
