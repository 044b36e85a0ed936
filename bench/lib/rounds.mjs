// How a scenario measured in alternated rounds against its baseline becomes one figure.

/**
 * Of rounds that each measured the baseline and lfs-depot back to back (`{value, baseline}`, higher is better), the
 * round whose ratio value / baseline is the median (the lower of the two middle ones for an even count).
 *
 * Pairing within a round is what makes the ratio side by side: this machine's speed drifts by ±30 % within minutes,
 * and the best of each side (what earlier versions reported) can pair lfs-depot's best round with a baseline round
 * minutes away, in another mood. The bests are still returned for the note.
 */
export function medianRound(rounds) {
  if (rounds.length === 0) {
    throw new Error('medianRound needs at least one round');
  }
  const sorted = [...rounds].sort((a, b) => a.value / a.baseline - b.value / b.baseline);
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)],
    ratios: rounds.map((r) => r.value / r.baseline),
    bestValue: Math.max(...rounds.map((r) => r.value)),
    bestBaseline: Math.max(...rounds.map((r) => r.baseline)),
  };
}

/** The note that says how a median round was chosen, with the best of each side for comparison. */
export function medianNote(median, unit) {
  if (median.ratios.length === 1) {
    return '';
  }
  return (
    `median of ${median.ratios.length} alternated rounds (ratios ${median.ratios.map((r) => r.toFixed(3)).join(', ')}); ` +
    `best of each side: ${median.bestValue.toFixed(0)} against ${median.bestBaseline.toFixed(0)} ${unit}`
  );
}
