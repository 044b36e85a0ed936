#!/usr/bin/env node
// Part of `npm run lint`: proves the import rules still apply, because a rule that silently stops applying (as the
// libs block once dropped the global import patterns) passes a clean tree just as a working one does. It lints
// snippets that must fail ESLint's no-restricted-imports and cruises a fixture tree whose every forbidden edge must
// be reported by .dependency-cruiser.cjs, with allowed edges beside them that must not be.
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { cruise } from 'dependency-cruiser';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const failures = [];

/** [file the snippet is linted as, snippet, message the rule must give; '' when the snippet must pass]. */
const ESLINT_CASES = [
  [
    'libs/storage/src/lint-fixture.ts',
    "import { isValidOid } from '@lfs-depot/contracts/src/oid.js';",
    'Import libs through @lfs-depot/<lib> only.',
  ],
  [
    'libs/storage/src/lint-fixture.ts',
    "import { StartupError } from '../../../apps/api/src/core/startup-error.js';",
    'Libraries never import apps.',
  ],
  [
    'apps/api/src/locks/lint-fixture.controller.ts',
    "import { LocksRepository } from './locks.repository.js';",
    'Controllers call services, not repositories.',
  ],
  [
    'apps/api/src/locks/lint-fixture.controller.ts',
    "import { LocalStorage } from '@lfs-depot/storage/dist/local.storage.js';",
    'Import libs through @lfs-depot/<lib> only.',
  ],
  [
    'apps/proxy/src/lint-fixture.ts',
    "import { LocalStorage } from '@lfs-depot/storage/src/local.storage.js';",
    'Import libs through @lfs-depot/<lib> only.',
  ],
  [
    'apps/api/src/locks/lint-fixture.controller.ts',
    "import { ApiTags } from '@nestjs/swagger';",
    '@nestjs/swagger is loaded only for the OpenAPI document.',
  ],
  [
    'apps/api/src/admin/lint-fixture.dto.ts',
    "import { ApiProperty } from '@nestjs/swagger';",
    '@nestjs/swagger is loaded only for the OpenAPI document.',
  ],
  [
    'libs/storage/src/lint-fixture.ts',
    "import { SwaggerModule } from '@nestjs/swagger';",
    '@nestjs/swagger is loaded only for the OpenAPI document.',
  ],
  ['apps/api/src/http/openapi.decorator.ts', "import { ApiTags } from '@nestjs/swagger';", ''],
  ['apps/proxy/src/lint-fixture.ts', "import { isValidOid } from '@lfs-depot/contracts';", ''],
  ['libs/storage/src/lint-fixture.ts', "import { isValidOid } from '@lfs-depot/contracts';", ''],
];

async function checkEslint() {
  const eslint = new ESLint({
    cwd: root,
    // Snippets are not files of the TypeScript program; only the import rule is judged here.
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
    ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  });
  for (const [filePath, code, expected] of ESLINT_CASES) {
    const [result] = await eslint.lintText(
      `${code}\nexport const used = [${code.match(/\{ (\w+) \}/)?.[1]}];\n`,
      {
        filePath: path.join(root, filePath),
      },
    );
    const messages = result.messages.map((message) => message.message);
    const fatal = result.messages.filter((message) => message.fatal);
    const says = (text) => messages.some((message) => message.endsWith(text));
    if (fatal.length > 0) {
      failures.push(`eslint could not parse the ${filePath} snippet: ${fatal[0].message}`);
    } else if (expected === '' ? messages.length > 0 : !says(expected)) {
      failures.push(
        `eslint on ${filePath}: ${code}\n    expected ${expected ? `"${expected}"` : 'no error'}, got ${JSON.stringify(messages)}`,
      );
    }
  }
}

/**
 * Files of the fixture tree, each with the imports it makes (relative, so `local` ones), and the rules every edge must
 * break (none when it is allowed). The forbidden edges are the ones issue 12 removed; the allowed ones are the layering working as meant.
 */
const CRUISE_EDGES = [
  ['apps/api/src/http/request-context.ts', 'apps/api/src/auth/principal.ts', 'api-layer-http'],
  ['apps/api/src/auth/principal.ts', 'apps/api/src/projects/project-member.entity.ts', 'api-layer-auth'],
  ['apps/api/src/core/core.module.ts', 'apps/api/src/auth/api-secrets.ts', 'api-layer-core'],
  [
    'apps/api/src/database/embedded-postgres.ts',
    'apps/api/src/bootstrap/startup-error.ts',
    'api-layer-database',
  ],
  [
    'apps/api/src/projects/projects.repository.ts',
    'apps/api/src/objects/project-statistics.entity.ts',
    'api-layer-projects',
  ],
  ['apps/api/src/metrics/metrics.module.ts', 'apps/api/src/batch/batch.service.ts', 'api-layer-metrics'],
  ['apps/api/src/objects/objects.repository.ts', 'apps/api/src/api.module.ts', 'api-layer-objects'],
  ['apps/api/src/batch/batch.service.ts', 'apps/api/src/admin/admin.service.ts', 'api-feature-not-feature'],
  [
    'apps/api/src/push-check/push-check.repository.ts',
    'apps/api/src/database/bigint.ts',
    'api-feature-sql-in-repositories',
  ],
  ['libs/storage/src/object-storage.ts', 'apps/api/src/core/startup-error.ts', 'libs-not-apps'],
  ['libs/storage/src/object-storage.ts', 'libs/contracts/src/oid.ts', 'libs-through-their-package'],
  ['apps/proxy/src/proxy.server.ts', 'libs/storage/src/index.ts', 'libs-through-their-package'],
  [
    'libs/contracts/src/index.ts',
    'libs/auth/src/index.ts',
    'contracts-import-nothing-of-ours libs-through-their-package',
  ],
  ['libs/contracts/src/index.ts', 'libs/contracts/src/oid.ts', ''],
  ['apps/proxy/src/proxy.server.ts', 'apps/api/src/http/request-context.ts', 'apps-not-each-other'],
  ['apps/cli/src/a.ts', 'apps/cli/src/b.ts', 'no-circular'],
  ['apps/cli/src/b.ts', 'apps/cli/src/a.ts', 'no-circular'],
  ['apps/api/src/database/entities.ts', 'apps/api/src/projects/project.entity.ts', ''],
  ['apps/api/src/projects/project.entity.ts', 'apps/api/src/database/bigint.ts', ''],
  ['apps/api/src/auth/auth.service.ts', 'apps/api/src/http/request-context.ts', ''],
  ['apps/api/src/batch/batch.service.ts', 'apps/api/src/metrics/api-metrics.ts', ''],
  ['apps/api/src/push-check/push-check.service.ts', 'apps/api/src/locks/locks.repository.ts', ''],
  ['apps/api/src/bootstrap/api-runtime.factory.ts', 'apps/api/src/batch/batch.service.ts', ''],
];

async function checkCruise() {
  const require = createRequire(import.meta.url);
  const config = require(path.join(root, '.dependency-cruiser.cjs'));
  const fixture = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-cruise-fixture-'));
  try {
    const imports = new Map();
    for (const [from, to] of CRUISE_EDGES) {
      imports.set(from, [...(imports.get(from) ?? []), to]);
      imports.set(to, imports.get(to) ?? []);
    }
    for (const [file, targets] of imports) {
      const lines = targets.map((target, index) => {
        let specifier = path.relative(path.dirname(file), target).replace(/\.ts$/, '.js');
        specifier = specifier.startsWith('.') ? specifier : `./${specifier}`;
        return `import * as dependency${index} from '${specifier}';\nexport const used${index} = dependency${index};`;
      });
      await mkdir(path.join(fixture, path.dirname(file)), { recursive: true });
      await writeFile(path.join(fixture, file), `${lines.join('\n')}\nexport const here = 1;\n`);
    }
    const { tsConfig: _, ...options } = config.options;
    const { output } = await cruise(['apps', 'libs'], {
      ...options,
      baseDir: fixture,
      validate: true,
      ruleSet: { forbidden: config.forbidden },
    });
    const found = new Set(
      output.summary.violations.map(({ rule, from, to }) => `${rule.name}: ${from} → ${to}`),
    );
    const expected = new Set(
      CRUISE_EDGES.flatMap(([from, to, rules]) =>
        rules
          .split(' ')
          .filter(Boolean)
          .map((rule) => `${rule}: ${from} → ${to}`),
      ),
    );
    // A cycle is reported once, at whichever of its edges the cruise meets first.
    const cycle = [...expected].filter((violation) => violation.startsWith('no-circular:'));
    if (!cycle.some((violation) => found.has(violation))) {
      failures.push(`dependency-cruiser did not report the cycle ${cycle.join(', ')}`);
    }
    for (const violation of expected) {
      if (!violation.startsWith('no-circular:') && !found.has(violation)) {
        failures.push(`dependency-cruiser did not report ${violation}`);
      }
    }
    for (const violation of found) {
      if (!expected.has(violation)) {
        failures.push(`dependency-cruiser reported an allowed edge: ${violation}`);
      }
    }
    if (output.summary.totalCruised !== imports.size) {
      failures.push(
        `dependency-cruiser cruised ${output.summary.totalCruised} fixture files, not ${imports.size}`,
      );
    }
  } finally {
    await rm(fixture, { recursive: true, force: true });
  }
}

await checkEslint();
await checkCruise();
if (failures.length > 0) {
  console.error(`Import rules that no longer apply:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `Import rules apply: ${ESLINT_CASES.length} ESLint snippets and ${CRUISE_EDGES.length} dependency-cruiser edges judged as expected`,
);
