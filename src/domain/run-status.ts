import type { TerminalStatus } from './records.js'

export type RunStatus = 'RUNNING' | TerminalStatus

export const TERMINAL_STATUSES: readonly TerminalStatus[] = ['FINISHED', 'FAILED', 'KILLED']

export function isTerminal (s: RunStatus): s is TerminalStatus {
  return s !== 'RUNNING'
}
