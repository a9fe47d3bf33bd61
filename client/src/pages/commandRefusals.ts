/** What the page says when the room refuses one of its commands. */

import type { CommandName } from '../commands'

/** What each command was for, in the words of "Could not …". */
const LABELS: Partial<Record<CommandName, string>> = {
  run: 'run the cell',
  'run-all': 'run all cells',
  interrupt: 'interrupt the kernel',
  restart: 'restart the kernel',
  cancel: 'cancel that run',
  'input-reply': 'send your input',
  'run-above': 'run the cells above',
  'run-below': 'run the cells below',
  'refresh-state': 'refresh the kernel state'
}

/** "Could not run the cell: <why>." */
export function refusalMessage(command: CommandName, error: string | undefined): string {
  return `Could not ${LABELS[command] ?? command}: ${error ?? 'refused'}.`
}
