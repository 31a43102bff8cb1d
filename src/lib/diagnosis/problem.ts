/**
 * A failure the page itself detects before asking anyone. Kept apart from the (lazily loaded)
 * catalogue so throwing it costs nothing.
 *
 * @module
 */
export class PageProblem extends Error {
  readonly code: 'no_token'
  constructor(code: 'no_token') {
    super(code)
    this.name = 'PageProblem'
    this.code = code
  }
}
