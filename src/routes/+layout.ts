// A static SPA: the relay serves the built files, nothing renders on a server.
export const ssr = false
export const prerender = false
