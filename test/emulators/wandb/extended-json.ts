/**
 * A strict parser for W&B's extended JSON: RFC 8259 plus the bare tokens `NaN`, `Infinity` and
 * `-Infinity` (reference §3.4). Anything else that JSON.parse would refuse is refused here too,
 * so an encoder that writes `nan`, `inf` or a trailing comma fails the emulator like it would
 * fail W&B's parser.
 */
export type ExtValue = null | boolean | number | string | ExtValue[] | { [key: string]: ExtValue }

// Sticky regexes match at `lastIndex` without copying the rest of a (possibly 10 MiB) line.
// JSON forbids raw control characters in strings, so the class must name them.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

export function parseExtendedJson (text: string): ExtValue {
  let i = 0
  const fail = (what: string): never => { throw new SyntaxError(`extended JSON: ${what} at ${i}`) }
  const ws = (): void => { while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++ }
  const lit = (word: string): boolean => {
    if (text.startsWith(word, i)) { i += word.length; return true }
    return false
  }
  const str = (): string => {
    STRING.lastIndex = i
    const m = STRING.exec(text)
    if (m === null) return fail('bad string')
    i += m[0].length
    return JSON.parse(m[0]) as string
  }
  const value = (): ExtValue => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const out: Record<string, ExtValue> = {}
      ws()
      if (text[i] === '}') { i++; return out }
      for (;;) {
        ws()
        const key = str()
        ws()
        if (text[i++] !== ':') fail('expected :')
        out[key] = value()
        ws()
        const sep = text[i++]
        if (sep === '}') return out
        if (sep !== ',') fail('expected , or }')
      }
    }
    if (c === '[') {
      i++
      const out: ExtValue[] = []
      ws()
      if (text[i] === ']') { i++; return out }
      for (;;) {
        out.push(value())
        ws()
        const sep = text[i++]
        if (sep === ']') return out
        if (sep !== ',') fail('expected , or ]')
      }
    }
    if (c === '"') return str()
    if (lit('true')) return true
    if (lit('false')) return false
    if (lit('null')) return null
    if (lit('NaN')) return NaN
    if (lit('Infinity')) return Infinity
    if (lit('-Infinity')) return -Infinity
    NUMBER.lastIndex = i
    const m = NUMBER.exec(text)
    if (m === null) return fail('unexpected token')
    i += m[0].length
    return Number(m[0])
  }
  const out = value()
  ws()
  if (i !== text.length) fail('trailing data')
  return out
}
