/** The room's kernel in a pairbook notebook's toolbar: its status from the room's `kernel`
 * map (the same for every peer), and interrupt and restart sent as pairbook commands. */

import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils'
import type { NotebookPanel } from '@jupyterlab/notebook'
import { refreshIcon, stopIcon, ToolbarButton } from '@jupyterlab/ui-components'
import { Widget } from '@lumino/widgets'

import type { RoomConnection } from './room'
import { kernelActivity, KERNEL_MAP } from './runs'

/** Sends interrupt or restart to the room's kernel; a restart asks first (it is everyone's). */
export async function controlKernel(room: RoomConnection, command: 'interrupt' | 'restart'): Promise<void> {
  if (command === 'restart') {
    const answer = await showDialog({
      title: 'Restart the room\'s kernel?',
      body: 'Everyone in the room shares it: every variable goes.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Restart' })]
    })
    if (!answer.button.accept) return
  }
  const reply = await room.command(command)
  if (!reply.ok) void showErrorMessage(`pairbook did not ${command} the kernel`, reply.error ?? 'refused')
}

/** A label that follows the room's kernel status. */
export class RoomKernelStatus extends Widget {
  private readonly stop: () => void

  constructor(room: RoomConnection) {
    super()
    this.addClass('pb-KernelStatus')
    const kernel = room.options.doc.getMap(KERNEL_MAP)
    const show = (): void => {
      const { status, text } = kernelActivity(room.options.doc)
      this.node.textContent = `room kernel: ${text}`
      this.node.dataset.status = status
    }
    show()
    kernel.observe(show)
    this.stop = () => kernel.unobserve(show)
  }

  dispose(): void {
    this.stop()
    super.dispose()
  }
}

export function addRoomKernelItems(panel: NotebookPanel, room: RoomConnection): void {
  panel.toolbar.addItem(
    'pairbook-interrupt',
    new ToolbarButton({ icon: stopIcon, tooltip: 'Interrupt the room\'s kernel', onClick: () => void controlKernel(room, 'interrupt') })
  )
  panel.toolbar.addItem(
    'pairbook-restart',
    new ToolbarButton({ icon: refreshIcon, tooltip: 'Restart the room\'s kernel', onClick: () => void controlKernel(room, 'restart') })
  )
  panel.toolbar.addItem('pairbook-kernel', new RoomKernelStatus(room))
}
