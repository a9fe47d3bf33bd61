/** Follow mode on the notebook page: my page scrolls along with the person I follow, and my
 * own viewport is published for whoever follows me. */

import { button } from '../dom'
import type { NotebookView } from '../notebook/notebookView'
import type { ParticipantsPanel } from '../panels/participants'
import type { Participant } from '../panels/presence'
import type { Banner } from '../panels/status'

/** Their viewport is sent 150 ms after they scroll: one from before their cell moved must
 * not pull us back from the cell we just went to. */
const VIEWPORT_LAG_MS = 1000
const VIEWPORT_DELAY_MS = 150

export interface FollowOptions {
  view: NotebookView
  banner: Banner
  participants: ParticipantsPanel
}

export class Follow {
  private following: Participant | null = null
  private followedCellAt = 0

  constructor(private readonly options: FollowOptions) {
    // Scrolling by hand ends follow mode, as in a shared document.
    window.addEventListener('wheel', () => this.stop(), { passive: true })
    window.addEventListener('touchmove', () => this.stop(), { passive: true })
  }

  /** Follows `person` (null: nobody), scrolling to their cell at once. */
  start(person: Participant | null): void {
    const { banner, view } = this.options
    this.following = person
    banner.clear('follow')
    if (person === null) return
    banner.add('follow', 'info', `Following ${person.name}: the page scrolls along with them.`, button('Stop following', `Stop following ${person.name}`, () => this.stop(), { class: 'btn small' }))
    if (person.cell !== null) view.scrollToCell(person.cell)
  }

  stop(): void {
    if (this.following === null) return
    this.following = null
    this.options.participants.setFollowing(null)
    this.options.banner.clear('follow')
  }

  /** Everyone present now: scrolls to where the followed person went, or stops if they left. */
  track(people: Participant[]): void {
    const following = this.following
    if (following === null) return
    const now = people.find((p) => p.clientId === following.clientId)
    if (now === undefined) return this.stop()
    if (now.cell !== null && now.cell !== following.cell) {
      this.options.view.scrollToCell(now.cell)
      this.followedCellAt = Date.now()
    } else if (now.viewport !== null && now.viewport !== following.viewport && Date.now() - this.followedCellAt > VIEWPORT_LAG_MS) {
      this.options.view.scrollToCell(now.viewport)
    }
    this.following = now
  }
}

/** Where I am looking, for whoever follows me: the cell in the middle of my screen (below the
 * toolbar), set as `viewport` in my awareness state once scrolling pauses. */
export function shareViewport(view: NotebookView, setViewport: (cell: string | null) => void, current: () => unknown): void {
  let timer = 0
  window.addEventListener('scroll', () => {
    if (timer !== 0) return
    timer = window.setTimeout(() => {
      timer = 0
      const top = document.querySelector('.toolbar')?.getBoundingClientRect().bottom ?? 0
      const viewport = view.cellIdAt((top + window.innerHeight) / 2)
      if (current() !== viewport) setViewport(viewport)
    }, VIEWPORT_DELAY_MS)
  }, { passive: true })
}
