/** The notebook toolbar's pairbook items: who drives (in mob mode) and the recording
 * indicator with its link to the session's replay page on the pairbook server. */

import { Widget } from '@lumino/widgets'

import { h } from '../../../client/src/dom'
import type { MobView } from './mobView'
import type { RecordingView } from './recording'

/** "Navigating · Ana drives" in mob mode; hidden in pair mode. */
export class MobLabel extends Widget {
  constructor() {
    super()
    this.addClass('pb-MobLabel')
    this.node.setAttribute('role', 'status')
    this.hide()
  }

  showMob(view: MobView): void {
    this.setHidden(view.mode !== 'mob')
    this.node.dataset.role = view.role ?? ''
    const text = view.role === 'driver' ? 'You drive' : `${view.role === 'observer' ? 'Observing' : 'Navigating'} · ${view.label}`
    if (this.node.textContent !== text) this.node.textContent = text
    this.node.title = view.lock ?? view.headline
  }
}

/** "● Recording" and a Replay link opening the replay page in a new tab. */
export class RecordingIndicator extends Widget {
  private readonly badge: HTMLElement
  private readonly link: HTMLAnchorElement

  constructor() {
    super()
    this.addClass('pb-Recording')
    this.badge = h('span', { class: 'pb-Recording-badge', role: 'status' })
    this.link = h('a', { class: 'pb-Recording-replay', target: '_blank', rel: 'noopener noreferrer', title: 'Replay this session on the pairbook server' }, 'Replay')
    this.node.append(this.badge, this.link)
  }

  showRecording(view: RecordingView): void {
    this.node.classList.toggle('pb-off', !view.on)
    this.badge.textContent = view.text
    this.badge.title = view.title
    this.link.href = view.replayUrl
  }
}
