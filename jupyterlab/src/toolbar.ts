/** The room's kernel in a pairbook notebook's toolbar: its status from the room's `kernel`
 * map (the same for every peer), and interrupt and restart sent as pairbook commands. */

import { showErrorMessage } from '@jupyterlab/apputils'
import type { NotebookPanel } from '@jupyterlab/notebook'
import { refreshIcon, stopIcon, ToolbarButton } from '@jupyterlab/ui-components'
import { Widget } from '@lumino/widgets'

import type { RoomConnection } from './room'
import { kernelStatus, KERNEL_MAP } from './runs'

async function send(room: RoomConnection, command: 'interrupt' | 'restart'): Promise<void> {
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
      const status = kernelStatus(room.options.doc)
      this.node.textContent = `room kernel: ${status}`
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
    new ToolbarButton({ icon: stopIcon, tooltip: 'Interrupt the room\'s kernel', onClick: () => void send(room, 'interrupt') })
  )
  panel.toolbar.addItem(
    'pairbook-restart',
    new ToolbarButton({ icon: refreshIcon, tooltip: 'Restart the room\'s kernel', onClick: () => void send(room, 'restart') })
  )
  panel.toolbar.addItem('pairbook-kernel', new RoomKernelStatus(room))
}
