/** The recording indicator for JupyterLab: pairbook's `recording` map (its JSON), the
 * pairbook server's address and the notebook's path in, the indicator's words and the link
 * to the session's replay page out. Pure. */

import { replayHref } from '../../../client/src/routes'

export interface RecordingView {
  on: boolean
  text: string
  title: string
  /** The replay page on the pairbook server (absolute). */
  replayUrl: string
}

/** The room is recorded unless the map says `on: false` (as the browser client reads it). */
export function recordingView(raw: unknown, server: string, path: string): RecordingView {
  const map = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {}
  const on = map.on !== false
  return {
    on,
    text: on ? '● Recording' : '○ Not recording',
    title: on
      ? 'This session is recorded for replay; anyone editing can turn it off.'
      : 'Recording is off: edits are kept (the notebook needs them) but the replay will not show how they were made.',
    replayUrl: new URL(replayHref(path), server).href
  }
}
