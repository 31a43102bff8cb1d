// Before the app boots: a sign-in popup returning here hands its answer over and closes.
import { relayAuthResponse } from '$lib/auth/callback.ts'

relayAuthResponse()
