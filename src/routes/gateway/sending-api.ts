/**
 * The gateway page's calls for devices, the queue and the ingress (GATEWAY.md, "Contract"), beside
 * api.ts's mailbox calls and in the same way: this origin, the admin session cookie, answers
 * checked with the contract's schemas, failures as the relay client's errors for the diagnosis.
 *
 * @module
 */
import '$lib/zod-csp.ts'
import {
  DeviceCreated,
  DeviceList,
  IngressInfo,
  OkAnswer,
  QueueAnswer,
  QueueList,
  type DeviceCreate,
  type QueueItem,
} from '$lib/contract/gateway.ts'
import { call } from '$lib/relay/client.ts'

const send = (method: string, body?: unknown): RequestInit => ({
  method,
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
})
const id = (s: string) => encodeURIComponent(s)

export const sendingApi = {
  async devices(): Promise<DeviceList['devices']> {
    return DeviceList.parse(await call('/api/admin/devices')).devices
  },
  /** The answer holds the device's credentials, once: keep them only in memory. */
  async createDevice(body: DeviceCreate): Promise<DeviceCreated> {
    return DeviceCreated.parse(await call('/api/admin/devices', send('POST', body)))
  },
  async deleteDevice(deviceId: string): Promise<void> {
    OkAnswer.parse(await call(`/api/admin/devices/${id(deviceId)}`, send('DELETE')))
  },
  /** Every state, newest first, with each mailbox's counters since `since` (the local midnight). */
  async queue(since: string): Promise<QueueList> {
    return QueueList.parse(await call(`/api/admin/queue?since=${encodeURIComponent(since)}`))
  },
  async retry(messageId: string): Promise<QueueItem> {
    return QueueAnswer.parse(await call(`/api/admin/queue/${id(messageId)}/retry`, send('POST', {}))).message
  },
  async removeMessage(messageId: string): Promise<void> {
    OkAnswer.parse(await call(`/api/admin/queue/${id(messageId)}`, send('DELETE')))
  },
  async ingress(): Promise<IngressInfo> {
    return IngressInfo.parse(await call('/api/admin/ingress'))
  },
}
