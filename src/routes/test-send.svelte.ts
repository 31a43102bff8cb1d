/**
 * [メール送信テスト]: validates, gets the token (renewing when needed), posts /api/send and keeps
 * the outcome for the status region: the success body or the problem to diagnose.
 *
 * @module
 */
import type { SendSuccess } from '$lib/contract/api.ts'
import { AuthFailure } from '$lib/auth/errors.ts'
import type { AuthSession } from '$lib/auth/session.svelte.ts'
import { PageProblem } from '$lib/diagnosis/problem.ts'
import { readAttachment } from '$lib/relay/attachment.ts'
import { sendAuth, testRequest, type Texts } from '$lib/relay/test-message.ts'
import type { Settings } from '$lib/settings/model.ts'

export class TestSend {
  phase = $state<'idle' | 'sending' | 'ok' | 'failed'>('idle')
  result = $state<SendSuccess | null>(null)
  problem = $state<unknown>(null)

  /**
   * Sends the test message; `texts` gives the subject and body for the SMTP host, `file` an
   * optional attachment (already checked against the relay's limit).
   */
  async run(s: Settings, session: AuthSession, texts: Texts, file?: File): Promise<void> {
    this.phase = 'sending'
    this.result = null
    this.problem = null
    try {
      let token: { token: string; user: string } | undefined
      if (s.authType === 'oauth2') {
        token = await session.accessToken(s)
        if (!token) {
          const implicitRanOut = session.state.kind === 'expired' && s.tokenMode === 'implicit'
          throw implicitRanOut ? new AuthFailure('implicit_expired') : new PageProblem('no_token')
        }
      }
      // The relay client (and zod, which checks the answer) loads on first use.
      const { postSend } = await import('$lib/relay/client.ts')
      const attachment = file ? await readAttachment(file) : undefined
      this.result = await postSend(testRequest(s, sendAuth(s, token), texts, attachment))
      this.phase = 'ok'
    } catch (e) {
      this.problem = e
      this.phase = 'failed'
    }
  }
}
