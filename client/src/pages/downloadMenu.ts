/** "Download" in the notebook's top bar, as JupyterLab's File > Download and "Download as":
 * the notebook as its file holds it now (outputs included, the room's latest edits too,
 * before autosave wrote them), or its cells as a jupytext percent-format `.py`. Anyone who
 * may read the notebook may download it. */

import type { Api, DownloadFormat } from '../api'
import { button, h, saveFile } from '../dom'
import { asMenuItem, MenuButton } from './menuButton'

const TYPES: Record<DownloadFormat, string> = { ipynb: 'application/x-ipynb+json', py: 'text/x-python' }

/** The file name a download of `path` gets in `format`. */
export function downloadName(path: string, format: DownloadFormat): string {
  const name = path.split('/').pop() ?? 'notebook.ipynb'
  return format === 'ipynb' ? name : `${name.replace(/\.ipynb$/i, '')}.py`
}

export function downloadMenu(api: Api, path: string, notify: (text: string) => void): HTMLElement {
  const menu = new MenuButton({
    label: h('span', {}, 'Download', h('span', { 'aria-hidden': 'true' }, ' ▾')),
    description: 'Download the notebook',
    menuLabel: 'Download',
    buttonClass: 'btn download-toggle',
    menuClass: 'download-menu'
  })
  const save = async (format: DownloadFormat): Promise<void> => {
    try {
      saveFile(downloadName(path, format), await api.download(path, format), TYPES[format])
    } catch (error) {
      notify(`Could not download the notebook: ${error instanceof Error ? error.message : String(error)}.`)
    }
  }
  const item = (label: string, description: string, format: DownloadFormat): HTMLButtonElement => {
    const element = button(label, description, () => void save(format), { class: 'btn' })
    asMenuItem(element, true)
    return element
  }
  menu.menu.append(
    item('Notebook (.ipynb)', 'The notebook as it is now, outputs included', 'ipynb'),
    item('Python script (.py)', 'The cells as a jupytext percent-format script', 'py')
  )
  return menu.toggle
}
