import adapter from '@sveltejs/adapter-static'
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte'

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Force runes mode for the project, except for libraries.
    runes: ({ filename }) => (filename.split(/[/\\]/).includes('node_modules') ? undefined : true),
  },
  kit: {
    adapter: adapter({ fallback: 'index.html' }),
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        // The page calls the relay (self) and, in spa-pkce, MSAL calls the authority's discovery
        // and token endpoints: Entra's, and the sandbox IdP's on https://localhost:<port>.
        'connect-src': ['self', 'https://login.microsoftonline.com', 'https://localhost:*'],
        // MSAL's silent renewal may use a hidden iframe on the authority.
        'frame-src': ['https://login.microsoftonline.com', 'https://localhost:*'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
      },
    },
  },
}

export default config
