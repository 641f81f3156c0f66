// Types for search.js, which the unit tests import from TypeScript.
export function words(s: string): string[];
export function matchesQuery(text: string, query: string): boolean;
