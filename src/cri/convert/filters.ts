/** The CRI's List filters, as plain predicates over our records (no proto types needed). */

/** True when every selector pair is among `labels` (the CRI label_selector is an exact-match AND). */
export function matchesLabels(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** An id filter matches the full id or a prefix of it; "" matches everything. */
export function matchesId(filter: string | undefined, id: string): boolean {
  return !filter || id.startsWith(filter);
}

/** A state filter, present only when the client set one. */
export function matchesState<S>(filter: { state: S } | null | undefined, state: S): boolean {
  return !filter || filter.state === state;
}
