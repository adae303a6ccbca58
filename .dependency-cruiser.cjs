// The "where code may run" table of ARCHITECTURE.md, enforced on every import in CI.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'shared-is-pure',
      comment: 'shared/ runs everywhere: no Node built-ins, no electron, nothing from the other layers',
      severity: 'error',
      from: { path: '^shared/' },
      to: { pathNot: '^(shared/|node_modules/(zod|picomatch)/)' },
    },
    {
      name: 'only-the-shell-touches-electron',
      comment: 'electron is imported only by electron/shell/, electron/main.ts and electron/preload.ts',
      severity: 'error',
      from: { pathNot: '^(electron/shell/|electron/main\\.ts|electron/preload\\.ts|test/)' },
      to: { path: '^node_modules/electron/' },
    },
    {
      name: 'hub-is-plain-node',
      comment: 'electron/hub/ never reaches into the shell, the entries or the renderer',
      severity: 'error',
      from: { path: '^electron/hub/' },
      to: { path: '^(electron/shell/|electron/main\\.ts|electron/preload\\.ts|electron/headless\\.ts|renderer/)' },
    },
    {
      name: 'renderer-only-through-the-contract',
      comment: 'renderer/ reaches the hub only through shared/api.ts; no Node built-ins',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^electron/' },
    },
    {
      name: 'renderer-no-node',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'headless-has-no-electron',
      severity: 'error',
      from: { path: '^electron/headless\\.ts' },
      to: { path: '^(electron/shell/|node_modules/electron/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
