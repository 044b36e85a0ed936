// Import boundaries, checked by `npm run lint` (depcruise) and proven by scripts/check-lint-rules.mjs, which cruises
// fixture trees that must break each rule. dependency-cruiser rather than eslint-plugin-boundaries: it sees the whole
// graph, so it also forbids cycles of any length, and it prints the graph the rules are judged on.

/**
 * apps/api/src folders from the bottom up. A folder may import its own files and those of folders below it, never
 * those above: that is what keeps auth <-> projects, http <-> auth, core -> auth or database -> bootstrap from
 * coming back. Everything from `users` to `locks` is a shared domain layer that features use; `locks` is one because
 * its repository answers both the locks API and the push check.
 */
const API_LAYERS = [
  'cache', // the shared cache and the memos on it
  'core', // the runtime every module is given: config, secrets, storage tokens, Principal, StartupError
  'database', // data source, migrations runner, SQL helpers (and, through entities.ts, every *.entity.ts)
  'http', // request context, error writing, filters, pipes, decorators
  'metrics', // the registry and request counters features report to
  'audit', // the audit trail every change (admin, force-unlock, deletion, GC) records in its own transaction
  'users',
  'auth',
  'projects',
  'objects',
  'locks',
  'jobs', // the jobs table and the runner that features register their long operations with
];

/** apps/api/src folders that are features: each depends only on the layers above, never on another feature. */
const API_FEATURES = ['admin', 'batch', 'gc', 'health', 'platform', 'push-check', 'references', 'transfers'];

const api = (folders) => `^apps/api/src/(${folders.join('|')})/`;

/** For each layer, no import of a folder above it or of a feature, bootstrap or the app's root files. */
const layerRules = API_LAYERS.map((layer, index) => ({
  name: `api-layer-${layer}`,
  comment: `apps/api/src/${layer} may import only ${API_LAYERS.slice(0, index).join(', ') || 'libs'} below it`,
  severity: 'error',
  from: { path: api([layer]) },
  to: {
    path: [api([...API_LAYERS.slice(index + 1), ...API_FEATURES, 'bootstrap']), '^apps/api/src/[^/]+[.]ts$'],
    // Entities are the schema: database/entities.ts lists every one, and an entity imports only database helpers.
    ...(layer === 'database' && { pathNot: '[.]entity[.]ts$' }),
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Depend downwards only (STYLE.md): a cycle of files is a design bug, as a forwardRef would be.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'libs-not-apps',
      comment: 'Libraries serve the apps and never import them.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(apps|test|bench|scripts|migrations)/' },
    },
    {
      name: 'libs-through-their-package',
      comment:
        'Another lib is reached through its @lfs-depot/<lib> entry only, never by a relative path into it.',
      severity: 'error',
      from: { path: '^(libs/[^/]+/|apps/)' },
      to: { path: '^libs/', pathNot: '^$1', dependencyTypesNot: ['aliased'] },
    },
    {
      name: 'contracts-import-nothing-of-ours',
      comment:
        'libs/contracts is the wire: both apps, the CLI and tests read it, so it depends on no other code of ours.',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: '^(apps|libs|test|bench|scripts|migrations)/', pathNot: '^libs/contracts/' },
    },
    {
      name: 'apps-not-each-other',
      comment: 'The API, the proxy and the CLI share code only through libs.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'api-feature-not-feature',
      comment:
        'No feature imports a sibling feature (STYLE.md): what two features need moves down into a layer.',
      severity: 'error',
      from: { path: api(API_FEATURES) },
      to: { path: api([...API_FEATURES, 'bootstrap']), pathNot: '^apps/api/src/$1/' },
    },
    {
      name: 'api-feature-sql-in-repositories',
      comment:
        "Features reach the database through the shared layers' repositories, so each query has one copy " +
        '(the push check once kept its own copy of the linked-objects query).',
      severity: 'error',
      from: { path: api(API_FEATURES) },
      to: { path: api(['database']) },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    exclude: { path: ['(^|/)dist/', '(^|/)node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
