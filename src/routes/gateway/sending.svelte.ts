/**
 * The sending side of the gateway page: devices, the ingress's listeners and certificate, the
 * queue with the delivery log and each mailbox's counters. The queue is read again every few
 * seconds while messages are on their way and less often when all is done (sending-view.ts
 * `pollDelay`), only while the page is visible and the admin signed in. A new device's
 * credentials stay in memory only, until the page is left or another device is created.
 *
 * @module
 */
import type {
  DeviceCreate,
  DeviceCreated,
  DeviceItem,
  IngressInfo,
  QueueCounts,
  QueueItem,
  QueueLimits,
} from '$lib/contract/gateway.ts'
import { errorCode } from './api.ts'
import type { GatewayPage } from './gateway.svelte.ts'
import { sendingApi } from './sending-api.ts'
import { POLL_IDLE_MS, pollDelay, startOfDay } from './sending-view.ts'

export class GatewaySending {
  devices = $state<DeviceItem[]>([])
  ingress = $state<IngressInfo | null>(null)
  messages = $state<QueueItem[]>([])
  counts = $state<Record<string, QueueCounts>>({})
  limits = $state<QueueLimits | undefined>(undefined)
  /** Why the devices or the queue could not be read, if they could not. */
  problem = $state<unknown>(null)
  /** The device just created, with its credentials: the only time the page has them. */
  created = $state<DeviceCreated | null>(null)
  /** The queue has been read at least once. */
  loaded = $state(false)

  #page: () => GatewayPage
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = false
  #onVisible = () => {
    if (document.visibilityState === 'visible') this.#schedule(0)
  }

  /** `page`: the page's controller (read when needed: whether signed in, the session's end). */
  constructor(page: () => GatewayPage) {
    this.#page = page
  }

  /** Reads everything and keeps the queue fresh. Call on mount; `stop` on destroy. */
  start(): void {
    this.#stopped = false
    document.addEventListener('visibilitychange', this.#onVisible)
    void this.refresh()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    document.removeEventListener('visibilitychange', this.#onVisible)
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer)
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      if (this.#page().phase === 'in' && document.visibilityState === 'visible') void this.refresh()
      else this.#schedule(POLL_IDLE_MS)
    }, ms)
  }

  /** Devices, ingress and queue; then the next read of the queue is scheduled. */
  async refresh(): Promise<void> {
    clearTimeout(this.#timer)
    try {
      const [devices, ingress] = await Promise.all([sendingApi.devices(), this.ingress ?? sendingApi.ingress()])
      this.devices = devices
      this.ingress = ingress
      await this.readQueue()
      this.problem = null
    } catch (e) {
      this.#failed(e)
    }
    this.#schedule(pollDelay(this.messages))
  }

  /** The queue, the log and the counters (the message list answers with all three). */
  async readQueue(): Promise<void> {
    const q = await sendingApi.queue(startOfDay(Date.now()))
    this.messages = q.messages
    this.counts = q.counts ?? {}
    this.limits = q.limits
    this.loaded = true
  }

  #failed(e: unknown): void {
    // A lost session: the page's own refresh leads back to the login.
    if (errorCode(e) === 'UNAUTHORIZED') void this.#page().refresh()
    else this.problem = e
  }

  async createDevice(body: DeviceCreate): Promise<DeviceCreated> {
    const created = await sendingApi.createDevice(body)
    this.created = created
    this.devices = [...this.devices.filter((d) => d.id !== created.device.id), created.device]
    return created
  }

  async deleteDevice(id: string): Promise<void> {
    await sendingApi.deleteDevice(id)
    this.devices = this.devices.filter((d) => d.id !== id)
    if (this.created?.device.id === id) this.created = null
  }

  /** [再送]: the message is due now; the queue is read again at once and then often. */
  async retry(id: string): Promise<void> {
    const m = await sendingApi.retry(id)
    this.#put(m)
    this.#schedule(0)
  }

  async removeMessage(id: string): Promise<void> {
    await sendingApi.removeMessage(id)
    this.messages = this.messages.filter((m) => m.id !== id)
    this.#schedule(0)
  }

  #put(m: QueueItem): void {
    const i = this.messages.findIndex((x) => x.id === m.id)
    if (i < 0) this.messages = [m, ...this.messages]
    else this.messages[i] = m
  }

  deviceName(id: string | null): string | undefined {
    return id ? this.devices.find((d) => d.id === id)?.name : undefined
  }
}
