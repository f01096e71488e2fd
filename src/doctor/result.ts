/** One check's answer, as the report and `--json` print it. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do, when not pass. */
  fix?: string;
}
