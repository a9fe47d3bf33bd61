/** `input()` in the room's kernel: the server asks the connection that queued the run
 * (event `input-request`), and only that person may answer (`input-reply`). */

import { InputDialog, showErrorMessage } from '@jupyterlab/apputils'

import { isInputRequest, type CommandEvent } from './protocol'
import type { RoomConnection } from './room'

export function answerPrompts(room: RoomConnection): void {
  room.eventReceived.connect((_, event: CommandEvent) => {
    if (isInputRequest(event)) void prompt(room, event.execution, event.prompt, event.password === true)
  })
}

async function prompt(room: RoomConnection, execution: string, text: string, password: boolean): Promise<void> {
  const options = { title: 'The room\'s kernel asks', label: text || 'input()', okLabel: 'Send' }
  const answer = password ? await InputDialog.getPassword(options) : await InputDialog.getText(options)
  // Cancel answers with an empty line: the kernel waits for an answer either way.
  const value = answer.button.accept ? (answer.value ?? '') : ''
  const reply = await room.command('input-reply', { execution, value })
  if (!reply.ok) void showErrorMessage('pairbook did not take the answer', reply.error ?? 'refused')
}
