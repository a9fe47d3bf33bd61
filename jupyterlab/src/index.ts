/** pairbook's JupyterLab extension: join a pairbook room from JupyterLab; its notebooks open
 * in JupyterLab's own editor, bound to the room, and run in the room's kernel. */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application'
import { InputDialog, showErrorMessage } from '@jupyterlab/apputils'
import { IEditorExtensionRegistry } from '@jupyterlab/codemirror'
import { IDocumentManager } from '@jupyterlab/docmanager'
import { IFileBrowserFactory, type FileBrowser } from '@jupyterlab/filebrowser'
import { ILauncher } from '@jupyterlab/launcher'
import { INotebookCellExecutor, INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook'
import { Signal } from '@lumino/signaling'

import { remoteCursors } from './cursors'
import { DRIVE_NAME, localPathOf, PairbookDrive } from './drive'
import { RoomCellExecutor } from './executor'
import { joinRoom } from './join'
import { kernelStatusPlugin } from './kernelStatusPlugin'
import { keepRoom, keptRoom } from './kept'
import { LinkError, parseLink, type PairbookLink } from './link'
import { publishPlace } from './presence'
import { answerPrompts } from './prompts'
import { lockEditing, sayRefusedEdits } from './readonly'
import type { PairbookSession } from './session'
import { addRoomKernelItems, controlKernel } from './toolbar'
import { panelsPlugin } from './panels/panels'
import { IPairbook } from './tokens'

export { IPairbook } from './tokens'
export type { PairbookSession } from './session'
import type { RoomConnection } from './room'
export type { RoomConnection } from './room'
export { lockEditing } from './readonly'

export const OPEN_ROOM = 'pairbook:open-room'

/** Asks for a pairbook link until it parses; null when the person cancels. */
export async function askForLink(): Promise<PairbookLink | null> {
  for (;;) {
    const answer = await InputDialog.getText({
      title: 'Open pairbook room…',
      label: 'pairbook link (server address with ?token=…)',
      placeholder: 'http://localhost:8888/?token=…',
      okLabel: 'Open'
    })
    if (!answer.button.accept || answer.value === null) return null
    try {
      return parseLink(answer.value)
    } catch (error) {
      if (!(error instanceof LinkError)) throw error
      await showErrorMessage('Not a pairbook link', error.message)
    }
  }
}

/** Asks the name to join under; null when the person cancels. */
async function askName(): Promise<string | null> {
  const answer = await InputDialog.getText({
    title: 'Join the pairbook room',
    label: 'Your name, as the others will see it',
    okLabel: 'Join'
  })
  return answer.button.accept && answer.value ? answer.value.trim() || null : null
}

class Pairbook implements IPairbook {
  readonly driveName = DRIVE_NAME
  readonly sessionChanged: Signal<IPairbook, PairbookSession | null> = new Signal<IPairbook, PairbookSession | null>(this)

  constructor(readonly drive: PairbookDrive) {}

  get session(): PairbookSession | null {
    return this.drive.session
  }

  join(session: PairbookSession): void {
    this.drive.session = session
    session.roomOpened.connect((_, room) => {
      answerPrompts(room)
      sayRefusedEdits(room)
    })
    this.sessionChanged.emit(session)
  }
}

/** A room notebook's panel: no local kernel (runs go to the room's), and the room's kernel
 * in its toolbar. */
function adoptPanel(pairbook: Pairbook, panel: NotebookPanel): void {
  const prefix = `${DRIVE_NAME}:`
  if (!panel.context.path.startsWith(prefix)) return
  panel.sessionContext.kernelPreference = { shouldStart: false, canStart: false, autoStartDefault: false }
  panel.addClass('pb-RoomNotebook')
  const room = pairbook.session?.roomAt(panel.context.path.slice(prefix.length))
  if (room !== undefined) addRoomKernelItems(panel, room)
  publishPlace(panel)
  if (pairbook.session?.me.role === 'viewer') lockEditing(panel, true)
}

/** The room kernel's interrupt and restart as commands, on JupyterLab's keys (I, I and 0, 0)
 * in a room notebook, where JupyterLab's own would act on no kernel. */
function addKernelCommands(app: JupyterFrontEnd, notebooks: INotebookTracker, pairbook: Pairbook): void {
  const currentRoom = (): RoomConnection | undefined => {
    const path = notebooks.currentWidget?.context.path
    return path === undefined ? undefined : pairbook.session?.roomAt(localPathOf(path))
  }
  // JupyterLab's own I, I and 0, 0 (kernelmenu:*) with the room notebook's class: more specific, so these win there.
  const selector = '.pb-RoomNotebook [data-jp-kernel-user]:not(.jp-mod-readWrite) :focus:not(:read-write)'
  for (const [command, label, keys] of [
    ['interrupt', 'Interrupt the room\'s kernel', ['I', 'I']],
    ['restart', 'Restart the room\'s kernel…', ['0', '0']]
  ] as const) {
    const id = `pairbook:${command}-kernel`
    app.commands.addCommand(id, {
      label,
      isEnabled: () => currentRoom() !== undefined,
      execute: async () => {
        const room = currentRoom()
        if (room !== undefined) await controlKernel(room, command)
      }
    })
    app.commands.addKeyBinding({ command: id, keys: [...keys], selector })
  }
}

const corePlugin: JupyterFrontEndPlugin<IPairbook> = {
  id: '@pairbook/jupyterlab:plugin',
  description: 'Open pairbook rooms in JupyterLab',
  autoStart: true,
  provides: IPairbook,
  requires: [IDocumentManager, IFileBrowserFactory, INotebookTracker, INotebookCellExecutor],
  optional: [ILauncher, IEditorExtensionRegistry],
  activate: (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    browsers: IFileBrowserFactory,
    notebooks: INotebookTracker,
    executor: INotebookCellExecutor,
    launcher: ILauncher | null,
    editors: IEditorExtensionRegistry | null
  ): IPairbook => {
    const drive = new PairbookDrive()
    app.serviceManager.contents.addDrive(drive)
    const pairbook = new Pairbook(drive)
    if (executor instanceof RoomCellExecutor) executor.session = () => pairbook.session
    else console.warn('pairbook: another extension runs cells: room notebooks will not run in the room')
    let browser: FileBrowser | null = null
    notebooks.widgetAdded.connect((_, panel) => adoptPanel(pairbook, panel))
    editors?.addExtension(remoteCursors((doc) => pairbook.session?.roomOf(doc) !== undefined))

    /** The room's file browser in the left sidebar, listing the joined room. */
    async function showBrowser(): Promise<FileBrowser> {
      if (browser === null) {
        browser = browsers.createFileBrowser('pairbook-filebrowser', { driveName: DRIVE_NAME, refreshInterval: 10000, restore: false })
        browser.title.label = 'pairbook'
        browser.title.caption = 'The pairbook room\'s notebooks'
        browser.addClass('pb-RoomBrowser')
        app.shell.add(browser, 'left', { rank: 101 })
      }
      await browser.model.cd(`${DRIVE_NAME}:`)
      await browser.model.refresh()
      return browser
    }

    async function open(link: PairbookLink): Promise<void> {
      const session = await joinRoom(link, askName)
      if (session === null) return
      pairbook.join(session)
      keepRoom({ server: session.server, token: session.token })
      app.shell.activateById((await showBrowser()).id)
      if (link.notebook !== null) await docManager.openOrReveal(`${DRIVE_NAME}:${link.notebook}`)
    }

    // A reload rejoins the kept room (quietly: a token revoked since is forgotten).
    const kept = keptRoom()
    if (kept !== null) {
      const rejoin = joinRoom({ ...kept, notebook: null }, async () => null).then(
        (session) => {
          if (session === null) return null
          pairbook.join(session)
          void app.restored.then(showBrowser)
          return session
        },
        (error: unknown) => {
          console.warn('pairbook: could not rejoin the kept room', error)
          keepRoom(null)
          return null
        }
      )
      drive.waitFor(rejoin)
    }

    app.commands.addCommand(OPEN_ROOM, {
      label: 'Open pairbook room…',
      caption: 'Join a pairbook room with its link',
      execute: async (args) => {
        try {
          const given = typeof args.link === 'string' ? parseLink(args.link) : await askForLink()
          if (given !== null) await open(given)
        } catch (error) {
          await showErrorMessage('Could not open the pairbook room', error instanceof Error ? error.message : String(error))
        }
      }
    })
    launcher?.add({ command: OPEN_ROOM, category: 'Other', rank: 0 })
    addKernelCommands(app, notebooks, pairbook)
    return pairbook
  }
}

const executorPlugin: JupyterFrontEndPlugin<INotebookCellExecutor> = {
  id: '@pairbook/jupyterlab:cell-executor',
  description: 'Runs cells of pairbook notebooks in the room\'s kernel, others as usual',
  autoStart: true,
  provides: INotebookCellExecutor,
  activate: (): INotebookCellExecutor => new RoomCellExecutor()
}

export default [corePlugin, executorPlugin, panelsPlugin, kernelStatusPlugin]
