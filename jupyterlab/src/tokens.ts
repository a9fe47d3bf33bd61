/** What pairbook's extension offers other plugins (its sidebar panels among them): the room
 * JupyterLab has joined, and each open notebook's connection to it. */

import { Token } from '@lumino/coreutils'
import type { ISignal } from '@lumino/signaling'

import type { PairbookSession } from './session'

export interface IPairbook {
  /** The joined room, or null before "Open pairbook room…". */
  readonly session: PairbookSession | null
  /** Emitted when another room is joined. */
  readonly sessionChanged: ISignal<IPairbook, PairbookSession | null>
  /** The drive's name: a room notebook's JupyterLab path is `pairbook:<path>`. */
  readonly driveName: string
}

export const IPairbook = new Token<IPairbook>('@pairbook/jupyterlab:IPairbook', 'The pairbook room JupyterLab has joined.')
