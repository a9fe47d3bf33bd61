/** The widget runtime: the maintained @jupyter-widgets packages (base, base-manager,
 * controls, and an Output widget drawn with pairbook's own output renderer), driven by a
 * manager whose comms are the room's shared `widgets` map. Loaded only when a notebook
 * shows a widget (it is large). */

// Lumino's own rules (a hidden tab page, a collapsed accordion), the widgets' styles, and
// the icon font the controls draw their buttons with (Play, icons on buttons).
import '@lumino/widgets/style/index.css'
import '@jupyter-widgets/base/css/index.css'
import '@jupyter-widgets/controls/css/widgets.css'
import 'font-awesome/css/font-awesome.css'

import * as base from '@jupyter-widgets/base'
import { ManagerBase } from '@jupyter-widgets/base-manager'
import * as controls from '@jupyter-widgets/controls'
import * as output from '@jupyter-widgets/output'
import { MessageLoop } from '@lumino/messaging'
import { Widget } from '@lumino/widgets'

import { renderOutputs } from '../notebook/outputs'
import { sanitizeHtml } from '../notebook/sanitize'
import type { OutputJson } from '../notebook/mimeBundle'
import { SharedComm } from './sharedComm'
import type { WidgetRecord } from './widgetState'

/** The Output widget: its `outputs` state (the kernel's captured outputs, written by the
 * server) drawn as a cell's outputs are. */
class OutputModel extends output.OutputModel {
  override defaults(): Backbone.ObjectHash {
    return { ...super.defaults(), outputs: [], msg_id: '' }
  }
}

class OutputView extends output.OutputView {
  override render(): void {
    this.el.classList.add('jupyter-widgets-output-area', 'widget-output')
    const draw = (): void => {
      const outputs = this.model.get('outputs') as OutputJson[] | undefined
      renderOutputs(this.el, Array.isArray(outputs) ? outputs : [], this.model.widget_manager instanceof RoomWidgetManager ? this.model.widget_manager.views : undefined)
    }
    this.listenTo(this.model, 'change:outputs', draw)
    draw()
  }
}

/** Play animates in the page that pressed play only: every page shows the same Play, and
 * each animating it would step the value once per page. */
class PlayModel extends controls.PlayModel {
  private startedHere = false

  override play(): void {
    this.startedHere = this.get('playing') !== true
    super.play()
  }

  override animate(): void {
    if (this.startedHere) super.animate()
  }

  override loop(): void {
    if (this.startedHere && this.get('playing') === true) super.loop()
  }
}

/** The HTML widgets' value is the kernel's HTML: shown sanitized, as HTML outputs in the
 * page are (no scripts, handlers, styles or loads from elsewhere). */
class HTMLView extends controls.HTMLView {
  override update(): void {
    this.content.innerHTML = sanitizeHtml(String(this.model.get('value') ?? ''))
    controls.StringView.prototype.update.call(this)
  }
}

class HTMLMathView extends controls.HTMLMathView {
  override update(): void {
    this.content.innerHTML = sanitizeHtml(String(this.model.get('value') ?? ''))
    this.typeset(this.content)
    controls.StringView.prototype.update.call(this)
  }
}

const MODULES: Record<string, Record<string, unknown>> = {
  '@jupyter-widgets/base': base as unknown as Record<string, unknown>,
  '@jupyter-widgets/controls': { ...(controls as unknown as Record<string, unknown>), PlayModel, HTMLView, HTMLMathView },
  '@jupyter-widgets/output': { OutputModel, OutputView }
}

/** What the Output widget needs to draw widget views inside its outputs. */
export interface NestedViews {
  render(data: Record<string, unknown>, fallback: string): HTMLElement
}

export class RoomWidgetManager extends ManagerBase {
  constructor(readonly views: NestedViews) {
    super()
  }

  protected async loadClass(className: string, moduleName: string, _moduleVersion: string): Promise<typeof base.WidgetModel | typeof base.WidgetView> {
    const found = MODULES[moduleName]?.[className]
    if (found === undefined) throw new Error(`pairbook's page has no widget ${className} from ${moduleName}`)
    return found as typeof base.WidgetModel
  }

  protected async _create_comm(): Promise<base.IClassicComm> {
    throw new Error('pairbook widgets are made by the kernel: a page cannot make one')
  }

  protected async _get_comm_info(): Promise<{}> {
    return {}
  }

  /** Descriptions with `description_allow_html`: pairbook's sanitizer, not the default one. */
  override inline_sanitize(source: string): string {
    return sanitizeHtml(source)
  }

  /** A model from its record in the map, bound to its comm. */
  async open(record: WidgetRecord, comm: SharedComm): Promise<base.WidgetModel> {
    const state = structuredClone(record.state) as Record<string, base.BufferJSON>
    base.put_buffers(state, record.bufferPaths, record.buffers)
    return this.new_model(
      {
        model_id: record.id,
        model_name: String(record.state._model_name),
        model_module: String(record.state._model_module),
        model_module_version: String(record.state._model_module_version ?? ''),
        comm: comm as unknown as base.IClassicComm
      },
      state
    )
  }

  /** The model's view, drawn into `host`. */
  async show(modelId: string, host: HTMLElement): Promise<() => void> {
    const model = await this.get_model(modelId)
    const view = await this.create_view(model, {})
    const widget: Widget = (view as base.DOMWidgetView).luminoWidget
    if (host.isConnected) Widget.attach(widget, host)
    else {
      // Drawn before its cell is in the page: attach by hand (lumino wants a host in the page).
      MessageLoop.sendMessage(widget, Widget.Msg.BeforeAttach)
      host.append(widget.node)
      MessageLoop.sendMessage(widget, Widget.Msg.AfterAttach)
    }
    return () => view.remove()
  }
}
