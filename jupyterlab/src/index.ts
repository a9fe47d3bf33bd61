/** pairbook's JupyterLab extension: join a pairbook room from JupyterLab. */

import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application'
import { InputDialog, showErrorMessage } from '@jupyterlab/apputils'
import { ILauncher } from '@jupyterlab/launcher'

import { LinkError, parseLink, type PairbookLink } from './link'

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

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@pairbook/jupyterlab:plugin',
  description: 'Open pairbook rooms in JupyterLab',
  autoStart: true,
  optional: [ILauncher, ILabShell],
  activate: (app: JupyterFrontEnd, launcher: ILauncher | null): void => {
    app.commands.addCommand(OPEN_ROOM, {
      label: 'Open pairbook room…',
      caption: 'Join a pairbook room with its link',
      execute: async () => {
        const link = await askForLink()
        if (link === null) return
        console.info(`pairbook: opening ${link.server}`)
      }
    })
    launcher?.add({ command: OPEN_ROOM, category: 'Other', rank: 0 })
  }
}

export default [plugin]
