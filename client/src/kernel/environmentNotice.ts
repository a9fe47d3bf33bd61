/** The notebook's own environment (issue #16): while the server builds it for the kernel
 * (uv, on the first run), everyone sees a banner with its progress; a failure says why. It
 * reads the `kernel` map's `environment` key (pairbook/kernel/environment.py). */

import * as Y from 'yjs'

import type { Banner } from '../panels/status'
import { DocMap } from '../schema'

export interface EnvironmentRecord {
  status: 'preparing' | 'ready' | 'failed'
  source?: string
  requirements?: string[]
  progress?: string
  error?: string
  key?: string
  built?: boolean
}

/** The banner for an environment state (null: nothing to say). */
export function environmentMessage(record: EnvironmentRecord | undefined): { level: 'info' | 'error'; text: string } | null {
  if (record === undefined) return null
  const from = record.source !== undefined ? ` (from ${record.source})` : ''
  if (record.status === 'preparing') {
    const progress = record.progress ? `: ${record.progress.replace(/^uv: /, '')}` : '…'
    return { level: 'info', text: `Preparing this notebook's own environment${from}, the kernel starts once it is ready${progress}` }
  }
  if (record.status === 'failed') return { level: 'error', text: `This notebook's environment could not be prepared${from}: ${record.error ?? 'unknown error'}` }
  return null
}

/** Keeps the banner in step with the `environment` key. */
export function showEnvironment(doc: Y.Doc, banner: Banner): void {
  const ykernel = doc.getMap(DocMap.KERNEL_MAP)
  const render = (): void => {
    const shown = environmentMessage(ykernel.get('environment') as EnvironmentRecord | undefined)
    if (shown === null) banner.clear('environment')
    else banner.add('environment', shown.level, shown.text, null)
  }
  ykernel.observe((event) => {
    if (event.keysChanged.has('environment')) render()
  })
  render()
}
