import type { AdminKeySource } from './config/admin-key.js'

/**
 * What a freshly started gateway tells the person who started it (stderr, once): where it
 * listens, how to get the admin key, and the next three steps. The key itself is printed only
 * when it was just minted; afterwards the message names the file it is in.
 */
export function welcome (url: string, admin: { key: string, source: AdminKeySource, path: string }): string {
  const key = admin.source === 'minted'
    ? `  admin key (new, saved to ${admin.path}):\n    ${admin.key}\n`
    : admin.source === 'file'
      ? `  admin key: in ${admin.path}  (export TRACKGATE_ADMIN_KEY=$(cat ${admin.path}))\n`
      : '  admin key: the TRACKGATE_ADMIN_KEY you set\n'
  const keyExpr = admin.source === 'environment' ? '$TRACKGATE_ADMIN_KEY' : `$(cat ${admin.path})`
  return `
trackgate is listening on ${url}
${key}
  next:
    API docs (try it out):  ${url}/docs
    a local training job:   npm run demo           (no AWS needed; prints where to look)
    your first project:     curl -s -XPOST ${url}/v1/projects -H "Authorization: Bearer ${keyExpr}" \\
                              -H 'content-type: application/json' -d '{"name":"my-project"}'
    the README's tour walks on from there (keys, runs, metrics, jobs).

`
}
