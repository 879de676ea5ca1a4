/** A modeled (`Message`) or common (`message`) AWS JSON 1.1 error, HTTP 400 unless said. */
export class ApiFault extends Error {
  constructor (readonly type: string, message: string, readonly status = 400) { super(message) }
}
