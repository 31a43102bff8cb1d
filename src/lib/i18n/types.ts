/**
 * The shape of a message catalogue (taken from the Japanese one, the source language) and the
 * dotted keys into it, so a missing or misspelt key is a type error.
 *
 * @module
 */
import type { ja } from './ja.ts'
import type { jaLater } from './ja-later.ts'
import type { jaGateway } from './ja-gateway.ts'
import type { jaSending } from './ja-sending.ts'

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> }

/** Every catalogue has exactly the keys of the Japanese one, with string leaves. */
export type CoreMessages = Widen<typeof ja>
export type LaterMessages = Widen<typeof jaLater>
export type GatewayMessages = Widen<typeof jaGateway>
export type SendingMessages = Widen<typeof jaSending>
export type Messages = CoreMessages & LaterMessages & GatewayMessages

type Join<K, P> = K extends string ? (P extends string ? `${K}.${P}` : never) : never

/** Dotted paths to the string leaves of T, e.g. `field.host`. */
export type Paths<T> = {
  [K in keyof T & string]: T[K] extends string ? K : Join<K, Paths<T[K]>>
}[keyof T & string]

export type MessageKey = Paths<Messages>
