/**
 * Sets `key` in `map`, first forgetting the oldest write when the map already holds `maxEntries`: Maps iterate in
 * insertion order, and deleting the key before setting it moves a rewrite to the end. Keeps in-process caches
 * bounded, so a flood of distinct keys cannot grow memory without limit.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key);
  if (map.size >= maxEntries) {
    const oldest = map.keys().next();
    if (!oldest.done) {
      map.delete(oldest.value);
    }
  }
  map.set(key, value);
}
