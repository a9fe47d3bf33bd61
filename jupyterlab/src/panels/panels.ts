/** pairbook's panels in JupyterLab: the mob panel and the kernel-state panel in the right
 * sidebar, and on every notebook bound to a room its run badges, its toolbar's driver label
 * and recording indicator, and a navigator's read-only lock. The extension's core says
 * which notebook belongs to which room (`IPairbook`); this wires the rest. */

import { ILabShell, type JupyterFrontEndPlugin } from '@jupyterlab/application'
import { Notification } from '@jupyterlab/apputils'
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook'
import { LabIcon } from '@jupyterlab/ui-components'

import { IPairbook } from '../tokens'
import { NotebookBinding } from './binding'
import { PairbookRooms, type RoomLookup } from './lookup'
import { MobSidebar } from './mobSidebar'
import { KernelStateSidebar } from './stateSidebar'

/** The panels' plugin: the core's `IPairbook` says which notebooks are rooms'. */
export const panelsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@pairbook/jupyterlab:panels',
  description: "pairbook's panels: run badges, kernel state, mob, recording",
  autoStart: true,
  requires: [ILabShell, INotebookTracker, IPairbook],
  activate: (_app, shell: ILabShell, tracker: INotebookTracker, pairbook: IPairbook): void => {
    addPanels(shell, tracker, new PairbookRooms(pairbook))
  }
}

const mobIcon = new LabIcon({
  name: 'pairbook:mob',
  svgstr: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><path class="jp-icon3" fill="#616161" d="M3 6h18a1 1 0 011 1v10a1 1 0 01-1 1H3a1 1 0 01-1-1V7a1 1 0 011-1zm2 3v2h2V9zm4 0v2h2V9zm4 0v2h2V9zm4 0v2h2V9zM6 13v2h12v-2z"/></svg>'
})

const stateIcon = new LabIcon({
  name: 'pairbook:kernel-state',
  svgstr: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><path class="jp-icon3" fill="#616161" d="M4 4h16v4H4zm0 6h16v4H4zm0 6h16v4H4z"/></svg>'
})

/** Adds the sidebars and binds every room notebook as it opens; `notify` tells the person
 * something (a refusal, why a key did nothing). */
export function addPanels(shell: ILabShell, tracker: INotebookTracker, rooms: RoomLookup, notify: (message: string) => void = warn): void {
  const mob = new MobSidebar(notify)
  mob.title.icon = mobIcon
  const state = new KernelStateSidebar()
  state.title.icon = stateIcon
  shell.add(mob, 'right', { rank: 600 })
  shell.add(state, 'right', { rank: 610 })

  const bindings = new Map<NotebookPanel, NotebookBinding>()
  const show = (): void => {
    const current = tracker.currentWidget
    const binding = current === null ? null : bindings.get(current) ?? null
    mob.bind(binding)
    state.bind(binding)
  }
  const bind = (panel: NotebookPanel): void => {
    const known = bindings.get(panel)
    const room = rooms.roomOf(panel)
    if (known !== undefined && known.room === room) {
      known.refresh()
      return show()
    }
    known?.dispose()
    bindings.delete(panel)
    if (room !== null) bindings.set(panel, new NotebookBinding(panel, room, notify))
    show()
  }
  tracker.widgetAdded.connect((_, panel) => {
    void panel.context.ready.then(() => bind(panel))
    panel.disposed.connect(() => {
      bindings.get(panel)?.dispose()
      bindings.delete(panel)
      show()
    })
  })
  // A notebook bound again (its room reconnected anew), or another room joined.
  rooms.roomChanged.connect((_, path) => {
    tracker.forEach((panel) => {
      if (path === null || panel.context.path === path) bind(panel)
    })
  })
  tracker.currentChanged.connect(show)
}

function warn(message: string): void {
  Notification.warning(message, { autoClose: 6000 })
}
