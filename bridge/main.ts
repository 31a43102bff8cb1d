/**
 * The MSAL v5 redirect bridge (M365-FACTS §3.2): the spa-pkce popup returns here; this hands the
 * response to the page over BroadcastChannel and closes the popup. Nothing else boots.
 */
import { broadcastResponseToMainFrame } from '@azure/msal-browser/redirect-bridge'

broadcastResponseToMainFrame().catch((error: unknown) => {
  // Without a response in the URL there is nothing to hand over; say so in the popup itself.
  const name = (error as { errorCode?: string })?.errorCode ?? 'error'
  document.body.textContent = `mailkey: ${name}`
})
