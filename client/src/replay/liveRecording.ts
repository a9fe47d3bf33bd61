/** The live notebook page's recording controls: whether the room is recorded (everyone
 * sees it; editors can turn it off and on), blame on demand, and a link to the replay. */

import * as Y from 'yjs'

import type { CommandReply } from '../commands'
import { button, h, relabel } from '../dom'
import type { NotebookView } from '../notebook/notebookView'
import { toast } from '../panels/status'
import { replayHref, reviewHref } from '../routes'
import { hideBlame, showBlame } from './blameGutter'
import type { BlameLine, Person } from './replayApi'
import { DocMap } from '../schema'

export interface LiveRecordingOptions {
  doc: Y.Doc
  view: NotebookView
  path: string
  canEdit: boolean
  request: (command: string, args?: Record<string, unknown>) => Promise<CommandReply | null>
}

export function liveRecording({ doc, view, path, canEdit, request }: LiveRecordingOptions): HTMLElement {
  const flag = doc.getMap(DocMap.RECORDING_MAP)
  const badge = h('span', { class: 'recording-badge', role: 'status' })
  const toggle = button('', 'Turn recording off', () => {
    const on = flag.get('on') !== false
    void request('recording', { on: !on }).then((reply) => {
      if (reply !== null && !reply.ok) toast(`Could not change the recording: ${reply.error ?? 'refused'}.`)
    })
  }, { class: 'btn small' })
  const render = (): void => {
    const on = flag.get('on') !== false
    badge.classList.toggle('off', !on)
    badge.textContent = on ? '● Recording' : '○ Not recording'
    badge.title = on ? 'This session is recorded for replay; anyone editing can turn it off.' : 'Recording is off: edits are kept (the notebook needs them) but the replay will not show how they were made.'
    relabel(toggle, on ? 'Pause recording' : 'Resume recording', on ? 'Turn recording off' : 'Turn recording on')
  }
  flag.observe(render)
  render()

  let blameOn = false
  const blame = button('Blame', 'Show who wrote each line', () => {
    blameOn = !blameOn
    blame.classList.toggle('active', blameOn)
    blame.setAttribute('aria-pressed', String(blameOn))
    if (!blameOn) hideBlame(view.element)
    else void showAll()
  }, { class: 'btn small' })
  blame.setAttribute('aria-pressed', 'false')

  async function showAll(): Promise<void> {
    const ids = [...view.element.querySelectorAll<HTMLElement>('.cell')].map((el) => el.dataset.cellId ?? '')
    for (const id of ids) {
      const reply = await request('blame', { cell: id })
      if (!blameOn) return
      if (reply === null || !reply.ok) continue
      const result = reply.result as { lines: BlameLine[]; people: Record<string, Person>; server_color: string }
      const element = view.cellById(id)?.element
      if (element !== undefined) showBlame(element, result.lines, result.people, result.server_color)
    }
  }

  return h(
    'div',
    { class: 'tool-group recording-controls' },
    badge,
    canEdit ? toggle : null,
    blame,
    h('a', { class: 'btn small', href: replayHref(path), title: 'Replay this session' }, 'Replay'),
    h('a', { class: 'btn small', href: reviewHref(path), title: 'Review the changes since the last commit, cell by cell' }, 'Review')
  )
}
