/**
 * oidc-provider's storage for the sandbox: an in-memory store per IdP instance (the package's
 * own memory adapter is one global store and warns at start-up). The `Client` model is answered
 * from the sandbox's registrations, computed on every lookup so the failure switches apply at
 * once (oidc-provider caches clients by the hash of their metadata).
 *
 * @module
 */

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; consumed?: number }

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode'])

/** Seconds an expired device code is still found (and answered as expired). */
const DEVICE_CODE_GRACE = 900

/** Most entries the store keeps; the oldest go first (a sandbox, not a production IdP). */
const MAX_ENTRIES = 5_000

/** The store and the IDs of its live entries of one model (the `refreshTokenRevoked` switch). */
export function createAdapterFactory(clients: (id: string) => Record<string, unknown> | undefined) {
  const entries = new Map<string, { payload: Payload; expiresAt: number }>()
  const grants = new Map<string, Set<string>>()
  const sessionUids = new Map<string, string>()
  /** Device codes by their user code (what the verification page looks up). */
  const userCodes = new Map<string, string>()

  const get = (key: string): Payload | undefined => {
    const entry = entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt < Date.now()) {
      entries.delete(key)
      return undefined
    }
    return entry.payload
  }

  /** The IDs of the live (unexpired) entries of one model, e.g. every refresh token now valid. */
  const liveIds = (model: string): string[] => {
    const prefix = `${model}:`
    const now = Date.now()
    return [...entries].filter(([k, e]) => k.startsWith(prefix) && e.expiresAt >= now).map(([k]) => k.slice(prefix.length))
  }

  const Adapter = class SandboxAdapter {
    model: string
    constructor(model: string) {
      this.model = model
    }

    key(id: string): string {
      return `${this.model}:${id}`
    }

    async upsert(id: string, payload: Payload, expiresIn: number): Promise<void> {
      const key = this.key(id)
      if (this.model === 'Session' && typeof payload.uid === 'string') sessionUids.set(payload.uid, id)
      if (this.model === 'DeviceCode' && typeof payload.userCode === 'string') {
        userCodes.set(payload.userCode, id)
        const oldest = userCodes.keys().next().value
        if (userCodes.size > MAX_ENTRIES && oldest !== undefined) userCodes.delete(oldest)
      }
      if (GRANTABLE.has(this.model) && payload.grantId) {
        const set = grants.get(payload.grantId) ?? new Set<string>()
        set.add(key)
        grants.set(payload.grantId, set)
      }
      entries.delete(key)
      // A device code outlives its expiry here, so a late poll is told `expired_token` (the
      // provider checks the expiry itself) rather than that the code does not exist.
      const keep = this.model === 'DeviceCode' ? DEVICE_CODE_GRACE : 0
      entries.set(key, { payload, expiresAt: Date.now() + ((expiresIn || 3600) + keep) * 1000 })
      while (entries.size > MAX_ENTRIES) {
        const oldest = entries.keys().next().value
        if (oldest === undefined) break
        entries.delete(oldest)
      }
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.model === 'Client') return clients(id) as Payload | undefined
      const payload = get(this.key(id))
      // A redeemed device code is simply gone, as in Entra: oidc-provider would otherwise take a
      // second poll for a replay and revoke the tokens the first one got.
      if (this.model === 'DeviceCode' && payload?.consumed) return undefined
      return payload
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const id = sessionUids.get(uid)
      return id ? this.find(id) : undefined
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const id = userCodes.get(userCode)
      return id ? this.find(id) : undefined
    }

    async consume(id: string): Promise<void> {
      const payload = get(this.key(id))
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    }

    async destroy(id: string): Promise<void> {
      entries.delete(this.key(id))
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of grants.get(grantId) ?? []) entries.delete(key)
      grants.delete(grantId)
    }
  }
  return { Adapter, liveIds }
}
