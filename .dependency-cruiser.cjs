/** Import cycles fail `npm run lint`: between files, and between folders (scope "folder"
 * makes dependency-cruiser derive folder-to-folder edges from the file edges). */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycle',
      severity: 'error',
      comment: 'Two files that import each other, directly or through others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'Two folders that depend on each other: dependencies between folders point one way.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'action-bundles-only-pure-server-modules',
      severity: 'error',
      comment:
        'The Action is bundled into dist/ on its own. The rules it shares with the server come ' +
        'from dependency-free pure modules (the run key, the states, the Kubernetes name rules, the backoff), bundled as ' +
        'they are; anything else from server/ is a type (the record shape, declared once in ' +
        'server/ledger/types.ts and as JSON in server/http/wire.ts), read through `import type`, ' +
        'which esbuild erases.',
      from: { path: '^action/' },
      to: {
        path: '^server/',
        pathNot: '^server/(ledger/(run-key|states|k8s-names)|backoff)[.]ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'action-reads-only-the-api-shape',
      severity: 'error',
      comment: 'The only server modules the Action may name: the core, the API wire shapes, the backoff.',
      from: { path: '^action/' },
      to: { path: '^server/', pathNot: '^server/(ledger/|http/(wire|schemas)[.]ts$|backoff[.]ts$)' },
    },
    {
      name: 'modules-the-action-bundles-stay-alone',
      severity: 'error',
      comment: 'What the Action bundles from server/ imports nothing, so dist/ takes no server code with it.',
      from: { path: '^server/(ledger/(run-key|states|k8s-names)|backoff)[.]ts$' },
      to: { dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'server-does-not-know-the-action',
      severity: 'error',
      comment: 'The Action is a client of the server, never the other way round.',
      from: { path: '^server/' },
      to: { path: '^action/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^server/db/generated/', 'node_modules'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
