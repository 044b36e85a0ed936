import { Injectable } from '@nestjs/common';

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return (
    Object.entries(labels)
      // Plain code-unit order: label names are ASCII, and localeCompare was a measurable cost per request.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `${name}="${value.replace(/["\\\n]/g, '_')}"`)
      .join(',')
  );
}

/** Counters in Prometheus text format; small and dependency-free, enough for request and batch rates. */
@Injectable()
export class MetricsRegistry {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();

  increment(name: string, help: string, labels: Labels = {}, by = 1): void {
    let counter = this.counters.get(name);
    if (!counter) {
      counter = { help, values: new Map() };
      this.counters.set(name, counter);
    }
    const key = labelKey(labels);
    counter.values.set(key, (counter.values.get(key) ?? 0) + by);
  }

  /** The exposition text, with process gauges sampled now. */
  render(): string {
    const lines: string[] = [];
    for (const [name, { help, values }] of this.counters) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [key, value] of values) {
        lines.push(`${name}${key ? `{${key}}` : ''} ${value}`);
      }
    }
    const memory = process.memoryUsage();
    lines.push(
      '# HELP lfs_depot_api_resident_memory_bytes Resident memory of the API process.',
      '# TYPE lfs_depot_api_resident_memory_bytes gauge',
      `lfs_depot_api_resident_memory_bytes ${memory.rss}`,
      '# HELP lfs_depot_api_uptime_seconds Seconds since the API process started.',
      '# TYPE lfs_depot_api_uptime_seconds gauge',
      `lfs_depot_api_uptime_seconds ${Math.round(process.uptime())}`,
    );
    return `${lines.join('\n')}\n`;
  }
}
