// One table for the whole run: printed, and written as Markdown and JSON under bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A result row. `target` is `{op: '>=' | '<=' | '<', value, of: 'ratio' | 'value'}` or undefined (reported only);
 * `pass` is computed from it unless the run does not judge timing (`--quick`), where it stays null.
 */
export function row({ scenario, value, unit, baseline = null, target, note, judged = true }) {
  const ratio = baseline ? value / baseline : null;
  let pass = null;
  if (target && judged && Number.isFinite(value)) {
    const subject = target.of === 'ratio' ? ratio : value;
    pass =
      target.op === '>='
        ? subject >= target.value
        : target.op === '<='
          ? subject <= target.value
          : subject < target.value;
  }
  return {
    scenario,
    value: round(value),
    unit,
    baseline: baseline === null ? null : round(baseline),
    ratio: ratio === null ? null : Math.round(ratio * 10000) / 10000,
    target: target
      ? `${target.of === 'ratio' ? 'ratio ' : ''}${target.op === '>=' ? '≥' : target.op === '<=' ? '≤' : '<'} ${target.value}${target.of === 'ratio' ? '' : ` ${unit}`}`
      : null,
    pass,
    ...(note ? { note } : {}),
  };
}

/** A scenario that could not run for a known, acceptable reason (e.g. an API that is not there yet). */
export function skipped(scenario, reason) {
  return {
    scenario,
    value: null,
    unit: null,
    baseline: null,
    ratio: null,
    target: null,
    pass: null,
    note: `skipped (${reason})`,
  };
}

function round(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return value ?? null;
  }
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}

function cells(r) {
  const verdict = r.pass === true ? 'PASS' : r.pass === false ? 'FAIL' : r.target ? 'not judged' : '';
  return [
    r.scenario,
    r.value === null ? (r.note ?? '') : `${r.value} ${r.unit}`,
    r.baseline === null
      ? ''
      : `${r.baseline} ${r.unit.startsWith('req') || r.unit.startsWith('MiB') ? r.unit : ''}`.trim(),
    r.ratio === null ? '' : ratioCell(r.ratio),
    r.target ?? '',
    verdict,
  ];
}

/**
 * Three decimals, rounded down: every ratio target is a floor, and 0.0596 shown as "0.060" beside FAIL (as it once
 * was) reads like a bug. The JSON keeps four.
 */
function ratioCell(ratio) {
  return (Math.floor(ratio * 1000 + 1e-9) / 1000).toFixed(3);
}

const HEADER = ['scenario', 'figure', 'baseline', 'ratio', 'target', 'pass/fail'];

/** The table as fixed-width text for the terminal. */
export function formatText(rows) {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((line) => line[i].length)));
  return table
    .map((line, index) => {
      const text = line
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd();
      return index === 0 ? `${text}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : text;
    })
    .join('\n');
}

/** The table as Markdown, with notes below it. */
export function formatMarkdown(rows, meta) {
  const lines = [
    `# lfs-depot benchmark — ${meta.date}`,
    '',
    `${meta.mode}; ${meta.machine}; database ${meta.database}, cache ${meta.cache}, storage ${meta.storage}.`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map(
      (r) =>
        `| ${cells(r)
          .map((c) => c.replaceAll('|', '\\|'))
          .join(' | ')} |`,
    ),
  ];
  const notes = rows.filter((r) => r.note && r.value !== null);
  if (notes.length > 0) {
    lines.push('', ...notes.map((r) => `- ${r.scenario}: ${r.note}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Writes bench/results/latest.md and latest.json (the JSON keeps the documented keys, plus `note`). */
export async function writeResults(dir, rows, meta) {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'latest.md'), formatMarkdown(rows, meta));
  await writeFile(path.join(dir, 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
}
