#!/usr/bin/env node
// `npm run migration:create -- AddSomething`: writes migrations/<epoch>-AddSomething.ts and registers it in
// migrations/index.ts (the list TypeORM runs; ESM builds can't be globbed).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
  console.error(
    'usage: npm run migration:create -- <PascalCaseName>   (named for the change, e.g. AddLockExpiry)',
  );
  process.exit(2);
}
const epoch = Date.now();
const className = `${name}${epoch}`;
const file = path.join(root, 'migrations', `${epoch}-${name}.ts`);
await writeFile(
  file,
  `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`\`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`\`);
  }
}
`,
  { flag: 'wx' },
);
const indexFile = path.join(root, 'migrations', 'index.ts');
let index = await readFile(indexFile, 'utf8');
index = index.replace(
  /(\nexport const MIGRATIONS = \[)/,
  `import { ${className} } from './${epoch}-${name}.js';\n$1`,
);
index = index.replace(/export const MIGRATIONS = \[([\s\S]*?)\];/, (_match, list) => {
  const items = list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return `export const MIGRATIONS = [${[...items, className].join(', ')}];`;
});
await writeFile(indexFile, index);
console.log(`Created ${path.relative(root, file)} and registered it in migrations/index.ts`);
