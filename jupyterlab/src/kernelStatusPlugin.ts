/** The room's kernel in JupyterLab's status bar. JupyterLab's kernel status item shows the
 * session context a provider gives for the current widget; a room notebook has no session of
 * its own (it said "No Kernel"). The provider here (in place of notebook-extension's, which
 * package.json disables) gives a room notebook a context that follows the room's `kernel`
 * map, and every other notebook its own session context, as notebook-extension's did. */

import type { JupyterFrontEndPlugin } from '@jupyterlab/application'
import { IKernelStatusModel, type ISessionContext } from '@jupyterlab/apputils'
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook'
import type { Widget } from '@lumino/widgets'

import { DRIVE_NAME, localPathOf } from './drive'
import { RoomKernelContext } from './kernelStatus'
import { IPairbook } from './tokens'

export const kernelStatusPlugin: JupyterFrontEndPlugin<void> = {
  id: '@pairbook/jupyterlab:kernel-status',
  description: "The room's kernel in JupyterLab's status bar for room notebooks",
  autoStart: true,
  requires: [INotebookTracker, IPairbook],
  optional: [IKernelStatusModel],
  activate: (_app, tracker: INotebookTracker, pairbook: IPairbook, model: IKernelStatusModel | null): void => {
    if (model === null) return
    const contexts = new Map<NotebookPanel, RoomKernelContext>()
    const followAll = (): void => contexts.forEach((context) => context.follow(pairbook.session))
    pairbook.sessionChanged.connect((_, session) => {
      session?.roomOpened.connect(followAll)
      followAll()
    })
    pairbook.session?.roomOpened.connect(followAll)
    const roomContext = (panel: NotebookPanel): RoomKernelContext => {
      let context = contexts.get(panel)
      if (context === undefined) {
        contexts.set(panel, (context = new RoomKernelContext(localPathOf(panel.context.path))))
        panel.disposed.connect(() => {
          contexts.get(panel)?.dispose()
          contexts.delete(panel)
        })
        context.follow(pairbook.session)
      }
      return context
    }
    model.addSessionProvider((widget: Widget | null): ISessionContext | null => {
      if (widget === null || !tracker.has(widget)) return null
      const panel = widget as NotebookPanel
      if (!panel.context.path.startsWith(`${DRIVE_NAME}:`)) return panel.sessionContext
      // Only the members above are read of it (apputils' KernelStatus.Model).
      return roomContext(panel) as unknown as ISessionContext
    })
  }
}
