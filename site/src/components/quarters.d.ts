// Types for quarters.js (plain JavaScript so the Framework config can import it without a compiler).
export interface Quarter {
  id: string;
  year: number;
  q: number;
  /** First day, YYYY-MM-DD. */
  start: string;
  /** Last day, YYYY-MM-DD. */
  end: string;
}
export const firstQuarter: string;
export function parseQuarter(text: string): Quarter | null;
export function quarterOf(date: string): string;
export function quartersUntil(asOf: string, first?: string): string[];
